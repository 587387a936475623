"""Temporal workflow definitions and the activity contracts they call.

Deterministic code only: no I/O, no wall clock, no event store.
"""
