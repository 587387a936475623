"""The audit aggregate: plan → sample → returns → moderation → findings → report."""

from __future__ import annotations

from typing import ClassVar

from domain.audit_model import AuditState
from domain.qa_clock import QaState
from domain.qa_record import QaRecord, wire_events

__all__ = ["Audit"]


class Audit(QaRecord):
    """An audit and the facts recorded about it."""

    KIND: ClassVar[str] = "audit"
    STATE: ClassVar[type[QaState]] = AuditState

    class Planned(QaRecord.Opened):
        pass

    class SampleDrawn(QaRecord.StepRecorded):
        STEP = "draw_audit_sample"

    class ReturnsRequested(QaRecord.StepRecorded):
        STEP = "request_audit_returns"

    class ReturnReceived(QaRecord.StepRecorded):
        STEP = "record_audit_return"

    class Moderated(QaRecord.StepRecorded):
        STEP = "record_audit_moderation"

    class FindingsGraded(QaRecord.StepRecorded):
        STEP = "record_audit_findings"

    class ReportIssued(QaRecord.StepRecorded):
        STEP = "record_audit_report"

    class LearningBriefingIssued(QaRecord.StepRecorded):
        STEP = "record_learning_briefing"

    class ActionPlanRaised(QaRecord.StepRecorded):
        STEP = "raise_action_plan"

    class ClosedWithoutActions(QaRecord.StepRecorded):
        STEP = "close_audit"


wire_events(Audit)
