"""The programme's state: built only from its events (one ``on_*`` handler each).

It holds the timetable (entries, with their months and pause), each month's
occurrence (planned, opened with the record it opened, done, skipped) and the
programme view: planned against done per month. Reasons are free text: they
stay in the events, never here.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.programme.checks import check as check_rules
from domain.programme.commands import (
    OPENS,
    PROGRAMME_COMMANDS,
    Cadence,
    EntryKind,
    EntrySpec,
    Opens,
)
from domain.qa.clock import QaPolicy, QaState
from domain.values import Command

if TYPE_CHECKING:
    from domain.programme import events

__all__ = ["MonthRow", "Occurrence", "ProgrammeEntry", "ProgrammeState"]

Status = Literal["planned", "opened", "done", "skipped"]


class Occurrence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    month: int
    status: Status = "planned"
    record_kind: Opens | None = None
    record_ref: str | None = None
    opened_on: date | None = None
    done_on: date | None = None
    skipped_on: date | None = None


class ProgrammeEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    entry_id: str
    kind: EntryKind
    title: str
    cadence: Cadence
    months: list[int]
    day: int
    owner_agency: str
    group: str | None = None
    agencies: list[str] = Field(default_factory=list)
    sample_size: int = 5
    lead: str | None = None
    lookback_months: int = 3
    added_on: date
    adhoc: bool = False
    paused: bool = False
    paused_on: date | None = None
    occurrences: dict[int, Occurrence] = Field(default_factory=dict)

    @property
    def opens(self) -> Opens:
        return OPENS[self.kind]

    def active_months(self) -> list[int]:
        """The months its schedule still fires in: not skipped, opened or done."""
        return [m for m in self.months if self.occurrences[m].status == "planned"]

    @classmethod
    def of(cls, spec: dict[str, Any], added_on: date, adhoc: bool = False) -> ProgrammeEntry:
        s = EntrySpec.model_validate(spec)
        return cls(
            **s.model_dump(),
            added_on=added_on,
            adhoc=adhoc,
            occurrences={m: Occurrence(month=m) for m in s.months},
        )


class MonthRow(BaseModel):
    """One month of the programme view."""

    month: int
    planned: int
    opened: int
    done: int
    skipped: int
    paused: int
    items: list[str]


class ProgrammeState(QaState):
    """A partnership's QA programme for one year."""

    COMMANDS: ClassVar[dict[str, type[Command]]] = PROGRAMME_COMMANDS
    FUTURE_FIELDS: ClassVar[frozenset[str]] = frozenset({"opens_on"})
    LABEL: ClassVar[str] = "programme"

    year: int
    entries: dict[str, ProgrammeEntry] = Field(default_factory=dict)

    @classmethod
    def opened_by(cls, e: events.ProgrammeOpened) -> ProgrammeState:
        return cls(
            ref=e.programme_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.decided_on,
            stage="in_force",
            year=e.year,
            entries={str(s["entry_id"]): ProgrammeEntry.of(s, e.decided_on) for s in e.entries},
        )

    def check(self, command: Command, today: date) -> None:
        check_rules(self, command, today)

    # ------------------------------------------------------------------ views

    def month_view(self) -> list[MonthRow]:
        """Planned against done per month: every occurrence not skipped is planned."""
        rows = []
        for month in range(1, 13):
            occ = [
                (e, e.occurrences[month]) for e in self.entries.values() if month in e.occurrences
            ]
            live = [(e, o) for e, o in occ if o.status != "skipped"]
            rows.append(
                MonthRow(
                    month=month,
                    planned=len(live),
                    opened=sum(o.status in ("opened", "done") for _, o in live),
                    done=sum(o.status == "done" for _, o in live),
                    skipped=len(occ) - len(live),
                    paused=sum(e.paused and o.status == "planned" for e, o in live),
                    items=[f"{e.entry_id}:{o.status}" for e, o in occ],
                )
            )
        return rows

    # -------------------------------------------------------------- mutations

    def on_entry_added(self, e: events.EntryAdded) -> None:
        spec = dict(e.entry)
        self.entries[str(spec["entry_id"])] = ProgrammeEntry.of(spec, e.decided_on)

    def on_adhoc_added(self, e: events.AdHocEntryAdded) -> None:
        spec = {
            "entry_id": e.entry_id,
            "kind": e.kind,
            "title": e.title,
            "cadence": Cadence.ONCE,
            "months": [e.opens_on.month],
            "day": e.opens_on.day,
            "owner_agency": e.owner_agency,
            "group": e.group,
            "agencies": list(e.agencies),
            "sample_size": e.sample_size,
            "lead": e.lead,
        }
        self.entries[e.entry_id] = ProgrammeEntry.of(spec, e.decided_on, adhoc=True)

    def on_entry_paused(self, e: events.EntryPaused) -> None:
        entry = self.entries[e.entry_id]
        entry.paused, entry.paused_on = True, e.decided_on

    def on_entry_resumed(self, e: events.EntryResumed) -> None:
        entry = self.entries[e.entry_id]
        entry.paused, entry.paused_on = False, None

    def on_occurrence_skipped(self, e: events.OccurrenceSkipped) -> None:
        occ = self.entries[e.entry_id].occurrences[e.month]
        occ.status, occ.skipped_on = "skipped", e.decided_on

    def on_occurrence_opened(self, e: events.OccurrenceOpened) -> None:
        occ = self.entries[e.entry_id].occurrences[e.month]
        occ.status, occ.opened_on = "opened", e.opened_on
        occ.record_kind, occ.record_ref = e.record_kind, e.record_ref  # type: ignore[assignment]

    def on_occurrence_done(self, e: events.OccurrenceDone) -> None:
        occ = self.entries[e.entry_id].occurrences[e.month]
        occ.status, occ.done_on = "done", e.done_on
