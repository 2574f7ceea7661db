"""Benchmarks for copkit; each module has run() -> dict and writes bench/results/."""
