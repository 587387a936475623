"""Lifecycle 3 contracts: schedule and workflow ids, activity names and their inputs.

Ids carry the partnership, the year and the entry code only: no personal data.
A schedule's action starts ``ProgrammeOccurrenceWorkflow`` (Temporal appends the
firing's timestamp to its id); what makes a firing open at most one record is the
idempotency key and the record reference, both derived from partnership, entry
and period (``occurrence_key``, ``domain.programme.occurrence_ref``).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.audit import PlanAudit

__all__ = [
    "OCCURRENCE_WORKFLOW",
    "OPEN_PROGRAMME_OCCURRENCE",
    "OccurrenceOpening",
    "OccurrenceStatus",
    "OpenOccurrenceInput",
    "StartOccurrence",
    "occurrence_key",
    "occurrence_workflow_id",
    "schedule_id",
]

OPEN_PROGRAMME_OCCURRENCE = "open_programme_occurrence"
OCCURRENCE_WORKFLOW = "ProgrammeOccurrenceWorkflow"

OccurrenceStatus = Literal[
    "opened", "already_opened", "done", "skipped", "paused", "not_planned", "no_entry"
]


def schedule_id(partnership: str, year: int, entry_id: str) -> str:
    """``programme-<P>-<YEAR>-<ENTRY>``: one Temporal Schedule per programme entry."""
    return f"programme-{partnership.upper()}-{year}-{entry_id.upper()}"


def occurrence_workflow_id(partnership: str, year: int, entry_id: str) -> str:
    """The id the schedule's action starts under (Temporal appends the firing time)."""
    return f"occurrence-{partnership.upper()}-{year}-{entry_id.upper()}"


def occurrence_key(partnership: str, year: int, entry_id: str, month: int) -> str:
    """The idempotency key of opening one period's occurrence, whichever firing does it."""
    return f"{schedule_id(partnership, year, entry_id)}/{year}-{month:02d}"


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StartOccurrence(_Contract):
    """The schedule action's argument: which entry; the period is the firing's month."""

    partnership: str
    year: int
    entry_id: str


class OpenOccurrenceInput(_Contract):
    partnership: str
    year: int
    entry_id: str
    #: the period: the year and month of the firing (London)
    period_year: int
    month: int
    key: str
    today: date


class OccurrenceOpening(_Contract):
    status: OccurrenceStatus
    record_kind: str | None = None
    record_ref: str | None = None
    #: an audit entry: the plan its workflow opens with (a firing twice plans one)
    plan_audit: PlanAudit | None = None
