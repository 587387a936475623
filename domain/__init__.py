"""Pure domain of qa-engine: aggregates, events, value objects and rules. No I/O."""
