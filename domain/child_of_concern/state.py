"""The child-of-concern state: what the workflow carries and queries return.

Built only from recorded events (one ``on_*`` handler per event).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from domain.child_of_concern.checks import check as check_rules
from domain.child_of_concern.commands import CONCERN_COMMANDS
from domain.child_of_concern.stages import ConcernStage
from domain.qa.clock import Clock, QaPolicy, QaState
from domain.values import Command

if TYPE_CHECKING:
    from domain.child_of_concern import events

__all__ = ["ConcernStage", "ConcernState", "MissedReview"]


class MissedReview(BaseModel):
    model_config = ConfigDict(extra="ignore")
    clock: str
    due_on: date
    escalated_to: list[str]


class ConcernState(QaState):
    COMMANDS: ClassVar[dict[str, type[Command]]] = CONCERN_COMMANDS
    LABEL: ClassVar[str] = "child of concern"

    stage: ConcernStage
    audit_ref: str
    sample_no: int
    graded_on: date
    gm_reviewed_on: date | None = None
    ad_reviews: int = 0
    last_ad_review_on: date | None = None
    missed: list[MissedReview] = Field(default_factory=list)
    assured_on: date | None = None

    @classmethod
    def opened_by(cls, e: events.ConcernOpened) -> ConcernState:
        """The state of a concern just opened (from the opening event's own fields)."""
        return cls(
            ref=e.concern_ref,
            partnership=e.partnership,
            policy=QaPolicy.model_validate(e.policy),
            calendar_version=e.calendar_version,
            opened_on=e.graded_on,
            stage=ConcernStage.GROUP_MANAGER_REVIEW,
            audit_ref=e.audit_ref,
            sample_no=e.sample_no,
            graded_on=e.graded_on,
        )

    def current_ad_clock(self) -> Clock | None:
        open_ = [c for c in self.open_clocks() if c.key.startswith("ad_review:")]
        return open_[0] if open_ else None

    def check(self, command: Command, today: date) -> None:
        """Raise ``RuleViolation`` if ``command`` may not be applied now (see ``checks``)."""
        check_rules(self, command, today)

    # --------------------------------------------------------------- mutations

    def on_group_manager_reviewed(self, e: events.GroupManagerReviewed) -> None:
        self.gm_reviewed_on = e.reviewed_on
        self.meet("gm_review", e.reviewed_on)
        self.stage = ConcernStage.ASSISTANT_DIRECTOR_REVIEWS

    def on_assistant_director_reviewed(self, e: events.AssistantDirectorReviewed) -> None:
        current = self.current_ad_clock()
        if current is not None:
            self.meet(current.key, e.reviewed_on)
        self.ad_reviews += 1
        self.last_ad_review_on = e.reviewed_on
        if e.assured:
            self.assured_on = e.reviewed_on
            self.stage = ConcernStage.ASSURED
            self.close("Assistant Director assured an appropriate plan is in place")

    def _after_escalation(self, clock: Clock) -> None:
        if clock.escalations_sent == 1:
            self.missed.append(
                MissedReview(
                    clock=clock.key, due_on=clock.due_on, escalated_to=clock.escalations[0].to
                )
            )
