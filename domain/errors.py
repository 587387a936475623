"""The one exception hierarchy of the domain.

DomainError
├── InvalidInput         input that breaks a value rule where it enters (bad JSON, a
│                        malformed timestamp): nothing is sent, nothing recorded
├── RuleViolation        a command breaks a rule (wrong stage, bad date, ...)
│   └── OutOfOrder       a step attempted before the steps it depends on
├── CaseNotFound         no case with that reference
└── CaseAlreadyExists    a case reference reused by a different report
"""

from __future__ import annotations

__all__ = [
    "CaseAlreadyExists",
    "CaseNotFound",
    "DomainError",
    "InvalidInput",
    "OutOfOrder",
    "RuleViolation",
]


class DomainError(Exception):
    """Base class of every error a domain rule raises."""

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule

    def __str__(self) -> str:
        parts = []
        if self.field:
            parts.append(f"field {self.field!r}")
        if self.rule:
            parts.append(f"rule {self.rule!r}")
        prefix = f"[{', '.join(parts)}] " if parts else ""
        return f"{prefix}{self.message}"


class InvalidInput(DomainError):
    """Input that breaks a value rule where it enters (the field and rule are named)."""


class RuleViolation(DomainError):
    """A command breaks a domain rule; nothing is recorded."""


class OutOfOrder(RuleViolation):
    """A step was attempted before the steps it depends on."""


class CaseNotFound(DomainError):
    """No case with that reference exists."""


class CaseAlreadyExists(DomainError):
    """The case reference is already taken by a different report."""
