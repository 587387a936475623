"""The Temporal worker: activity implementations and their wiring."""
