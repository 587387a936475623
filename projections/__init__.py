"""Projection processors (event log -> read-model tables) and the queries over them."""
