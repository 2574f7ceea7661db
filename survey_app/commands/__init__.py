"""The ``copkit`` commands, one small module per area; :mod:`survey_app.cli` registers them."""
