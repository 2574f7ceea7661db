"""Tests for the reports package."""
