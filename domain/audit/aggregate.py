"""The audit aggregate: plan → sample → returns → moderation → findings → report."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from domain.audit import events
from domain.audit.commands import (
    AUDIT_COMMANDS,
    CloseAudit,
    DrawSample,
    PlanAudit,
    RaiseActionPlan,
    RecordAuditReport,
    RecordFindings,
    RecordLearningBriefing,
    RecordModeration,
    RecordReturn,
    RequestReturns,
)
from domain.audit.state import AuditState
from domain.qa import events as qa
from domain.qa.clock import QaPolicy, QaState
from domain.qa.record import QaRecord
from domain.standards import standard_set
from domain.values import Command

__all__ = ["Audit"]


class Audit(QaRecord):
    """An audit and the facts recorded about it."""

    KIND: ClassVar[str] = "audit"
    STATE: ClassVar[type[QaState]] = AuditState
    state: ClassVar[AuditState]
    EVENT_OF: ClassVar[dict[type[Command], type[qa.StepRecorded]]] = {
        DrawSample: events.SampleDrawn,
        RequestReturns: events.ReturnsRequested,
        RecordReturn: events.ReturnReceived,
        RecordModeration: events.Moderated,
        RecordFindings: events.FindingsGraded,
        RecordAuditReport: events.ReportIssued,
        RecordLearningBriefing: events.LearningBriefingIssued,
        RaiseActionPlan: events.ActionPlanRaised,
        CloseAudit: events.ClosedWithoutActions,
    }
    reminder_sent = events.ReminderSent
    escalated = events.Escalated
    history_read = events.HistoryRead

    @classmethod
    def plan(
        cls, command: PlanAudit, *, key: str, policy: QaPolicy, calendar_version: str, today: date
    ) -> Audit:
        """Open an audit under the QA policy, calendar and practice standards in force."""
        audit: Audit = cls._open(
            events.Planned,
            command.audit_ref,
            command,
            key=key,
            policy=policy,
            calendar_version=calendar_version,
            opened=[],
            opened_on=command.opened_on or today,
            standard_codes=standard_set(command.standards).codes,
        )
        return audit


if set(Audit.EVENT_OF) != set(AUDIT_COMMANDS.values()):  # pragma: no cover
    raise TypeError("audit commands and events differ")
