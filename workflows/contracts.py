"""Activity names and their input/result models: the contract between workflows and workers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from temporalio.common import SearchAttributeKey

from domain.review import ReportIncident, ReviewState

__all__ = [
    "BREACHED",
    "CASE_REF",
    "NEXT_DEADLINE",
    "NOT_AFTER_HEADER",
    "PARTNERSHIP",
    "RECORD_DEADLINE_BREACH",
    "RECORD_DEADLINE_REMINDER",
    "REPORT_INCIDENT",
    "SEARCH_ATTRIBUTES",
    "STAGE",
    "ClockInput",
    "ReportInput",
    "StartReview",
    "StepInput",
    "legacy_review_workflow_id",
    "review_workflow_id",
]

#: the update header naming the instant after which a step must not be recorded
#: (``workflows.request_deadline``)
NOT_AFTER_HEADER = "qa-not-after"

REPORT_INCIDENT = "report_incident"
RECORD_DEADLINE_REMINDER = "record_deadline_reminder"
RECORD_DEADLINE_BREACH = "record_deadline_breach"

# Custom search attributes (registered on every server at start-up). No personal data.
CASE_REF = SearchAttributeKey.for_keyword("QaCaseRef")
STAGE = SearchAttributeKey.for_keyword("QaStage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("QaNextDeadline")
BREACHED = SearchAttributeKey.for_bool("QaBreached")
PARTNERSHIP = SearchAttributeKey.for_keyword("QaPartnership")
SEARCH_ATTRIBUTES = (CASE_REF, STAGE, NEXT_DEADLINE, BREACHED, PARTNERSHIP)


def review_workflow_id(partnership: str, case_ref: str) -> str:
    """``review-<PARTNERSHIP>-<REF>``: readable, unique per case across partnerships."""
    return f"review-{partnership.upper()}-{case_ref.upper()}"


def legacy_review_workflow_id(case_ref: str) -> str:
    """The id cases were started under before partnerships were tenants."""
    return f"review-{case_ref.upper()}"


class _Contract(BaseModel):
    # Stored in Temporal histories for years: a field a later release removes
    # must still load from an old history (unknown fields are ignored).
    model_config = ConfigDict(frozen=True, extra="ignore")


class StartReview(_Contract):
    """The review workflow's input."""

    report: ReportIncident
    #: True when a client opens the case with update-with-start (the ``open`` update
    #: records it); False when the run records the opening itself
    by_update: bool = False
    #: set when the workflow continues as new: the state carried over
    resume: ReviewState | None = None
    #: continue as new once the run's history grows past this many events
    history_limit: int = Field(default=2000, ge=50)


class ReportInput(_Contract):
    report: ReportIncident
    key: str
    today: date


class StepInput(_Contract):
    #: None only in tasks scheduled by a release before partnerships were tenants
    partnership: str | None = None
    case_ref: str
    step: str
    command: dict[str, Any]
    key: str
    today: date


class ClockInput(_Contract):
    partnership: str | None = None  # None: scheduled before partnerships were tenants
    case_ref: str
    deadline: str
    key: str
    at: datetime
