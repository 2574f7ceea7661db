"""Tests for the instruments package."""
