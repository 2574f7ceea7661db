"""Security tests: the access-control matrix, bad input and output escaping."""
