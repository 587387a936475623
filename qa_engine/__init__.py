"""qa-engine: safeguarding partnership review and QA lifecycles on Temporal."""

__version__ = "0.1.0"
