"""Tests of the copkit command line run as commands."""
