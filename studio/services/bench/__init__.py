"""Benchmarks that print the figures the project claims (``studio bench …``).

Each benchmark runs the studio side by side with the peer it is compared to, in the same run,
and reports both with their ratio (DESIGN.md, "Quality bar"). Shared helpers for statistics
and plain tables are in :mod:`studio.services.bench.report`.
"""
