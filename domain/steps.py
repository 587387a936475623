"""Which steps a record's state allows now, as far as the state alone decides.

The rules of each lifecycle are one function per step, ``state.check(command, today)``,
which reads the state first (the stage, what is already recorded, whether the record
is closed) and the input after. ``allowed_now`` asks each rule with an input that
holds nothing: a refusal then cannot come from the input, so the step is not allowed
whatever is typed; any other outcome (no refusal, or the rule needing the input to
decide) keeps the step, to be judged on what is sent. The pages offer a form only
for the steps kept (the API still takes any step and refuses it by the same rules).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.errors import DomainError
from domain.values import Command

__all__ = ["allowed_now"]


def _empty(command: type[Command]) -> Command:
    """An instance of ``command`` holding no field at all (not even defaults): reading
    any input raises ``AttributeError``."""
    probe = command.__new__(command)
    object.__setattr__(probe, "__dict__", {})
    object.__setattr__(probe, "__pydantic_fields_set__", set())
    object.__setattr__(probe, "__pydantic_extra__", None)
    object.__setattr__(probe, "__pydantic_private__", None)
    return probe


def allowed_now(state: Any, commands: dict[str, type[Command]], today: date) -> list[str]:
    """The steps of ``commands`` the state does not refuse whatever the input."""
    out = []
    for step, command in commands.items():
        try:
            state.check(_empty(command), today)
        except DomainError:
            continue  # refused before reading any input: not possible now
        except Exception:
            pass
        out.append(step)
    return out
