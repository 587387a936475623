"""The programme aggregate: a partnership's QA timetable for a year, changed only
by recorded decisions."""

from __future__ import annotations

from typing import ClassVar

from domain.programme import events
from domain.programme.commands import (
    PROGRAMME_COMMANDS,
    AddAdHocEntry,
    AddEntry,
    OpenProgramme,
    PauseEntry,
    RecordOccurrenceDone,
    RecordOccurrenceOpened,
    ResumeEntry,
    SkipOccurrence,
    programme_ref,
)
from domain.programme.state import ProgrammeState
from domain.qa import events as qa
from domain.qa.clock import QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.values import Command

__all__ = ["Programme"]


class Programme(QaRecord):
    """A partnership's QA programme for one year and the decisions that shaped it."""

    KIND: ClassVar[str] = "programme"
    STATE: ClassVar[type[QaState]] = ProgrammeState
    state: ClassVar[ProgrammeState]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        AddEntry: events.EntryAdded,
        AddAdHocEntry: events.AdHocEntryAdded,
        PauseEntry: events.EntryPaused,
        ResumeEntry: events.EntryResumed,
        SkipOccurrence: events.OccurrenceSkipped,
        RecordOccurrenceOpened: events.OccurrenceOpened,
        RecordOccurrenceDone: events.OccurrenceDone,
    }
    # no clocks of its own: the occurrences it opens carry theirs

    @classmethod
    def open_programme(
        cls, command: OpenProgramme, *, key: str, policy: QaPolicy, calendar_version: str
    ) -> Programme:
        programme: Programme = cls._open_plain(
            events.ProgrammeOpened,
            programme_ref(command.year),
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            programme_ref=programme_ref(command.year),
        )
        return programme


if set(Programme.EVENT_OF) != set(PROGRAMME_COMMANDS.values()):  # pragma: no cover
    raise TypeError("programme commands and events differ")
