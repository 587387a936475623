"""The facts a programme records: typed, versioned events (evolution policy:
``domain.qa.events``). The timetable's entries are plain JSON dicts."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.programme.state import ProgrammeState
from domain.qa import events as qa

__all__ = [
    "EVENTS",
    "TOPIC_PREFIXES",
    "AdHocEntryAdded",
    "EntryAdded",
    "EntryPaused",
    "EntryResumed",
    "OccurrenceDone",
    "OccurrenceOpened",
    "OccurrenceSkipped",
    "ProgrammeOpened",
]


class ProgrammeOpened(qa.Opened):
    """A partnership's QA programme for a year, with its timetable, was agreed."""

    programme_ref: str
    year: int
    decided_on: date
    entries: list[dict[str, Any]]

    def initial_state(self) -> ProgrammeState:
        return ProgrammeState.opened_by(self)


class EntryAdded(qa.StepRecorded):
    decided_on: date
    entry: dict[str, Any]
    reason: str

    def on(self, state: ProgrammeState) -> None:
        state.on_entry_added(self)


class AdHocEntryAdded(qa.StepRecorded):
    entry_id: str
    kind: str
    title: str
    opens_on: date
    owner_agency: str
    decided_on: date
    reason: str
    group: str | None
    agencies: list[str]
    sample_size: int
    lead: str | None

    def on(self, state: ProgrammeState) -> None:
        state.on_adhoc_added(self)


class EntryPaused(qa.StepRecorded):
    entry_id: str
    decided_on: date
    reason: str

    def on(self, state: ProgrammeState) -> None:
        state.on_entry_paused(self)


class EntryResumed(qa.StepRecorded):
    entry_id: str
    decided_on: date
    reason: str

    def on(self, state: ProgrammeState) -> None:
        state.on_entry_resumed(self)


class OccurrenceSkipped(qa.StepRecorded):
    entry_id: str
    month: int
    decided_on: date
    reason: str

    def on(self, state: ProgrammeState) -> None:
        state.on_occurrence_skipped(self)


class OccurrenceOpened(qa.StepRecorded):
    entry_id: str
    month: int
    opened_on: date
    record_kind: str
    record_ref: str

    def on(self, state: ProgrammeState) -> None:
        state.on_occurrence_opened(self)


class OccurrenceDone(qa.StepRecorded):
    entry_id: str
    month: int
    done_on: date

    def on(self, state: ProgrammeState) -> None:
        state.on_occurrence_done(self)


#: The events of a programme, by class name.
EVENTS: dict[str, type[qa.QaEvent]] = {
    cls.__name__: cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, qa.QaEvent) and cls.__module__ == __name__
}

#: Every stored programme event's topic starts with this.
TOPIC_PREFIXES = (f"{__name__}:",)
