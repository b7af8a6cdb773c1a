"""Benchmarks: generate a realistic company register and time company search against it."""
