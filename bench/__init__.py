"""Benchmarks of prefect-aimlapi (not tests): `make bench` or `python -m bench`."""
