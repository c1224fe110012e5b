"""Benchmarks: BackFuture's performance figures as ratios, measured against the sandbox.

Run them all with ``python -m bench`` (or one with ``python -m bench.one_connection`` etc.).
They are not tests: nothing here asserts a time, and pytest does not collect this folder.
"""
