"""The registry through which each lifecycle feeds the shared read models.

A lifecycle (review cases in ``projections.review``; audits, action plans and
children of concern in ``projections.quality``) provides one ``Lifecycle``: which
event topics are its own, how to fold its events into a state, and what that
state contributes to each read model. The projections know nothing about event
classes; adding a lifecycle is one line in ``projections.catalogue.lifecycles``,
then ``qa-engine projections rebuild`` (positions already past its events would
otherwise skip them):

    return [ReviewLifecycle(), AuditLifecycle(), ...]   # rows of kind "audit" appear

Every method is pure (no I/O); the projections do the storage.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, ClassVar

from pydantic import BaseModel

from domain.trusted import trusted

__all__ = [
    "ClockFact",
    "Describer",
    "Lifecycle",
    "OversightItem",
    "StateLifecycle",
    "TrailItem",
    "asked_of_agencies",
    "by_topic",
    "received_from_agency",
]

#: an event in plain words (what, why), given the state after it
Describer = Callable[[Any, Any], tuple[str, str | None]]


class OversightItem(BaseModel):
    """What one open case shows in the oversight view (no personal data)."""

    kind: str
    ref: str
    partnership: str
    stage: str
    owner: str
    next_key: str | None = None
    next_label: str | None = None
    next_due_on: date | None = None
    breached: bool = False
    breached_labels: list[str] = []
    paused: int = 0
    #: the agencies the record asks something of (an agency lead's scope)
    agencies: list[str] = []


class TrailItem(BaseModel):
    """One audit-trail entry in plain words."""

    when: datetime
    who_name: str
    who_role: str
    what: str
    why: str | None = None


def words(camel: str) -> str:
    """``PanelNotified`` -> ``Panel notified``: the fallback wording of an event."""
    out = "".join(f" {c.lower()}" if c.isupper() else c for c in camel).strip()
    return out[:1].upper() + out[1:]


def trail_item(event: Any, described: tuple[str, str | None] | None) -> TrailItem:
    """The trail entry of ``event``: who and when from the event, what and why as described."""
    what, why = described or (f"{words(type(event).__name__)} recorded", None)
    actor = getattr(event, "actor", {}) or {}
    # from a stored event (checked when it was recorded): not validated again
    return trusted(
        TrailItem,
        {
            "when": event.timestamp,
            "who_name": str(actor.get("name", "")),
            "who_role": str(actor.get("role", "")),
            "what": what,
            "why": why,
        },
    )


def asked_of_agencies(what: str) -> Describer:
    """``<what> requested on <day> from POLICE (due <day>), ...``: returns or summaries
    asked of agencies (an event with ``requested_on`` and ``requests``)."""

    def describe(state: Any, event: Any) -> tuple[str, str | None]:
        c = vars(event)
        asks = ", ".join(f"{r['agency']} (due {r['due_on']})" for r in c["requests"])
        return f"{what} requested on {c['requested_on']} from {asks}", None

    return describe


def received_from_agency(what: str, met: Callable[[Any, str], str], clock: str) -> Describer:
    """``<what> from <agency> received on <day>``, then whether the agency's clock
    (``<clock><agency>``) was met in time, in ``met``'s words."""

    def describe(state: Any, event: Any) -> tuple[str, str | None]:
        c = vars(event)
        received = f"{what} from {c['agency']} received on {c['received_on']}"
        return received + met(state, f"{clock}{c['agency']}"), None

    return describe


class ClockFact(BaseModel):
    """One statutory clock that the quarterly timeliness figures count."""

    measure: str
    partnership: str
    clock_start: date
    due_on: date
    status: str  # open | met | cancelled
    met_on: date | None = None
    breached: bool = False


class Lifecycle(ABC):
    """One lifecycle's contribution to the read models."""

    #: the ``kind`` column of every row it contributes (e.g. "review", "audit")
    kind: str
    #: event topics starting with one of these prefixes belong to this lifecycle
    #: (the current module and any module earlier releases stored them under)
    topic_prefixes: tuple[str, ...]

    @abstractmethod
    def fold(self, state: Any | None, event: Any) -> Any:
        """Apply ``event`` to ``state`` (``None`` before the first event)."""

    @abstractmethod
    def dump(self, state: Any) -> str:
        """Serialise a folded state (JSON)."""

    @abstractmethod
    def load(self, data: str) -> Any:
        """The inverse of ``dump``."""

    @abstractmethod
    def ref(self, state: Any) -> str:
        """The case reference people use (unique within its partnership)."""

    def partnership(self, state: Any) -> str:
        """The partnership the record belongs to."""
        return str(state.partnership)

    def agencies(self, state: Any) -> list[str]:
        """The agencies the record involves (an agency's lead sees only those records)."""
        return []

    @abstractmethod
    def oversight(self, state: Any) -> OversightItem | None:
        """The oversight row, or ``None`` once the case is closed."""

    @abstractmethod
    def clocks(self, state: Any) -> list[ClockFact]:
        """The clocks the timeliness report counts."""

    @abstractmethod
    def describe(self, state: Any, event: Any) -> TrailItem:
        """The audit-trail entry for ``event`` (``state`` is the state after it)."""


class StateLifecycle(Lifecycle):
    """A lifecycle whose events fold into its aggregate's own state model, without the
    aggregate class: an event's ``apply`` only needs an object with ``state``,
    ``applied_keys`` and ``chain_head``."""

    state_model: ClassVar[type[BaseModel]]

    def fold(self, state: Any | None, event: Any) -> Any:
        holder = SimpleNamespace(state=state, applied_keys={}, chain_head="")
        event.apply(holder)
        return holder.state

    def dump(self, state: Any) -> str:
        return str(state.model_dump_json())

    def load(self, data: str) -> Any:
        return self.state_model.model_validate_json(data)


def by_topic(lifecycles: list[Lifecycle], topic: str) -> Lifecycle | None:
    """The lifecycle that owns events of ``topic``, if any."""
    for lc in lifecycles:
        if topic.startswith(lc.topic_prefixes):
            return lc
    return None
