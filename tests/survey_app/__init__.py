"""Tests for the survey_app package."""
