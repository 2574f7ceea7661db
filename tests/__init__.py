"""copkit test suite."""
