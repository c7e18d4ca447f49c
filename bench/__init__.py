"""Reproducible benchmarks that print figures: ``python -m bench.<name>``."""
