"""The app's blueprints, one per audience (participate, admin, dashboard, auth) plus health."""
