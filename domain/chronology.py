"""Every date in order (issue 8): a step's date never precedes the facts it depends on.

Each lifecycle names, per command type, its date field, the state's attribute holding
the earlier fact it depends on, and that fact's name; ``in_order`` refuses a step dated
before it, naming the field and the rule ``chronology``. Used by the review (lifecycle
1) and the audit, action plan and child-of-concern checks (lifecycle 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from domain.errors import RuleViolation

__all__ = ["Order", "in_order"]

#: command class -> [(its date field, the state's attribute of the earlier fact, its name)]
Order = Mapping[type[Any], Sequence[tuple[str, str, str]]]


def in_order(state: Any, command: Any, order: Order) -> None:
    """Raise ``RuleViolation`` (rule ``chronology``) if ``command``'s date precedes a
    fact recorded on ``state`` that it depends on."""
    for field, earlier, what in order.get(type(command), ()):
        before: date | None = getattr(state, earlier, None)
        value: date = getattr(command, field)
        if before is not None and value < before:
            raise RuleViolation(
                f"{value.isoformat()} is before {what} ({before.isoformat()})",
                field=field,
                rule="chronology",
            )
