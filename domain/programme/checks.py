"""The rules a programme decision must pass before it is recorded: one per command type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain.errors import OutOfOrder, RuleViolation
from domain.programme.commands import (
    PROGRAMME_COMMANDS,
    AddAdHocEntry,
    AddEntry,
    PauseEntry,
    RecordOccurrenceDone,
    RecordOccurrenceOpened,
    ResumeEntry,
    SkipOccurrence,
)
from domain.qa.checks import Rule, dispatch
from domain.values import Command

if TYPE_CHECKING:
    from domain.programme.state import Occurrence, ProgrammeEntry, ProgrammeState

__all__ = ["CHECKS", "check"]


def check(s: ProgrammeState, command: Command, today: date) -> None:
    """Raise ``RuleViolation`` if ``command`` may not be applied to ``s`` now."""
    dispatch(s, command, today, CHECKS)


def _entry(s: ProgrammeState, entry_id: str) -> ProgrammeEntry:
    entry = s.entries.get(entry_id)
    if entry is None:
        raise RuleViolation(
            f"the {s.year} programme has no entry {entry_id} "
            f"(entries: {', '.join(sorted(s.entries)) or 'none'})",
            field="entry_id",
            rule="entry_exists",
        )
    return entry


def _occurrence(s: ProgrammeState, entry_id: str, month: int) -> Occurrence:
    entry = _entry(s, entry_id)
    occ = entry.occurrences.get(month)
    if occ is None:
        raise RuleViolation(
            f"entry {entry_id} does not run in month {month} "
            f"(it runs in {', '.join(map(str, entry.months))})",
            field="month",
            rule="planned_month",
        )
    return occ


def _new_id(s: ProgrammeState, entry_id: str) -> None:
    if entry_id in s.entries:
        raise RuleViolation(
            f"the {s.year} programme already has an entry {entry_id}",
            field="entry_id",
            rule="unique_entry",
        )


def _add_entry(s: ProgrammeState, c: AddEntry, today: date) -> None:
    _new_id(s, c.entry.entry_id)


def _add_adhoc(s: ProgrammeState, c: AddAdHocEntry, today: date) -> None:
    _new_id(s, c.entry_id)
    if c.opens_on.year != s.year:
        raise RuleViolation(
            f"{c.opens_on.isoformat()} is outside the {s.year} programme",
            field="opens_on",
            rule="in_year",
        )


def _pause(s: ProgrammeState, c: PauseEntry, today: date) -> None:
    if _entry(s, c.entry_id).paused:
        raise RuleViolation(f"entry {c.entry_id} is already paused", rule="once_only")


def _resume(s: ProgrammeState, c: ResumeEntry, today: date) -> None:
    if not _entry(s, c.entry_id).paused:
        raise OutOfOrder(f"entry {c.entry_id} is not paused", rule="paused_first")


def _skip(s: ProgrammeState, c: SkipOccurrence, today: date) -> None:
    occ = _occurrence(s, c.entry_id, c.month)
    if occ.status != "planned":
        raise RuleViolation(
            f"{c.entry_id} month {c.month} is already {occ.status}; only a planned "
            "occurrence can be skipped",
            field="month",
            rule="skip_planned_only",
        )


def _opened(s: ProgrammeState, c: RecordOccurrenceOpened, today: date) -> None:
    entry = _entry(s, c.entry_id)
    occ = _occurrence(s, c.entry_id, c.month)
    if entry.paused:
        raise RuleViolation(f"entry {c.entry_id} is paused", field="entry_id", rule="entry_paused")
    if occ.status != "planned":
        raise RuleViolation(
            f"{c.entry_id} month {c.month} is already {occ.status}",
            field="month",
            rule="open_once",
        )
    if c.record_kind != entry.opens:
        raise RuleViolation(
            f"a {entry.kind.value} entry opens a {entry.opens}, not a {c.record_kind}",
            field="record_kind",
            rule="entry_opens",
        )


def _done(s: ProgrammeState, c: RecordOccurrenceDone, today: date) -> None:
    occ = _occurrence(s, c.entry_id, c.month)
    if occ.status != "opened":
        raise OutOfOrder(
            f"{c.entry_id} month {c.month} is {occ.status}; it is done once opened",
            field="month",
            rule="opened_first",
        )
    if occ.opened_on is not None and c.done_on < occ.opened_on:
        raise RuleViolation(
            f"done before it opened ({occ.opened_on.isoformat()})",
            field="done_on",
            rule="chronology",
        )


CHECKS: Mapping[type[Command], Rule] = {
    AddEntry: _add_entry,
    AddAdHocEntry: _add_adhoc,
    PauseEntry: _pause,
    ResumeEntry: _resume,
    SkipOccurrence: _skip,
    RecordOccurrenceOpened: _opened,
    RecordOccurrenceDone: _done,
}
if set(CHECKS) != set(PROGRAMME_COMMANDS.values()):  # pragma: no cover - a programming error
    raise TypeError("programme commands without a rule")
