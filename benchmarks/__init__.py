"""Benchmarks against the peers, run by `make bench` (python -m benchmarks [name ...])."""
