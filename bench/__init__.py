"""Benchmarks (`make bench`): each module measures one thing against a baseline taken in
the same run and returns rows for one table. See bench/run.py."""
