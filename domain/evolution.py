"""How stored events evolve: the helpers every lifecycle's upcasters and aggregates share.

Pure functions (no eventsourcing): an accepted command becomes an event's typed
fields (``fields_of``); a version-1 record, whose dates inside dicts were ISO
strings, is lifted by reading the declared types of the current class
(``revive_dates``, ``fill_optional``).
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

__all__ = ["DatesRevived", "OpensClocks", "fields_of", "fill_optional", "revive_dates"]


def revive_dates(cls: type, state: dict[str, Any]) -> None:
    """Parse ISO strings into ``date``/``datetime`` where ``cls`` declares one (v1 data)."""
    for name, hint in typing.get_type_hints(cls).items():
        value = state.get(name)
        if not isinstance(value, str):
            continue
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        if datetime in options:
            state[name] = datetime.fromisoformat(value)
        elif date in options:
            state[name] = date.fromisoformat(value)


def fill_optional(cls: type, state: dict[str, Any]) -> None:
    """A field a v1 record never had, where the type allows None, reads as None."""
    for name, hint in typing.get_type_hints(cls).items():
        optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
        if name not in state and optional:
            state[name] = None


def fields_of(
    command: BaseModel, *, exclude: frozenset[str] = frozenset({"actor"})
) -> dict[str, Any]:
    """An accepted command's values as event fields: dates stay dates; enums become
    their values; nested models become plain JSON dicts."""
    out: dict[str, Any] = {}
    for name, value in command:
        if name in exclude:
            continue
        if isinstance(value, list):
            out[name] = [_plain(v) for v in value]
        else:
            out[name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Enum):
        return value.value
    return value


class DatesRevived:
    """Mixin of the events whose version 1 differs only in how dates were stored
    (ISO strings): the upcaster parses them (clock reminders and breaches)."""

    @classmethod
    def upcast_v1_v2(cls, state: dict[str, Any]) -> None:
        revive_dates(cls, state)


class OpensClocks:
    """Mixin of the events a lifecycle step records, with the clocks it opened.

    ``opened`` holds the clocks computed for the step before it was recorded
    (facts, not recomputed on replay), as dumps of the lifecycle's clock model
    (``CLOCK``). Version 1 of these events held the step's command as a dict:
    the upcaster lifts its fields onto the event.
    """

    CLOCK: typing.ClassVar[type[BaseModel]]
    opened: list[dict[str, Any]]

    @classmethod
    def upcast_v1_v2(cls, state: dict[str, Any]) -> None:
        state.update(state.pop("command"))
        fill_optional(cls, state)
        revive_dates(cls, state)

    def apply(self, aggregate: Any) -> None:
        self.on(aggregate.state)
        aggregate.state.open([self.CLOCK.model_validate(c) for c in self.opened])
        super().apply(aggregate)  # type: ignore[misc]

    def on(self, state: Any) -> None:
        """Set ``state`` from this event's own fields (one state handler per event)."""
        raise NotImplementedError
