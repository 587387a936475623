"""The child / young person of concern process (seed 002; local policy, configurable).

A practice evaluation graded Inadequate starts it. The Group Manager reviews
within 2 working days of the grading, making sure action is taken to keep the
child safe; then the Assistant Director reviews every week until they record
that they are assured an appropriate plan is in place. A weekly review not
recorded by the end of its due day is recorded as missed and escalated, and the
next week's review falls due. The process can run for months.

The concern is named ``<audit ref>-S<sample position>``: never by the child's
reference.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.calendar import WorkingDayCalendar
from domain.errors import OutOfOrder
from domain.qa_clock import Clock, QaPolicy, QaState, make_clock, next_working_day
from domain.values import CaseRef, Command, FreeText, PartnershipCode

__all__ = [
    "CONCERN_COMMANDS",
    "ConcernRef",
    "ConcernStage",
    "ConcernState",
    "OpenConcern",
    "RecordAssistantDirectorReview",
    "RecordGroupManagerReview",
    "initial_concern_state",
    "plan_after_missed_review",
    "plan_concern_clocks",
    "plan_opening_concern_clocks",
]

ConcernRef = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}-S[0-9]{2,3}$"
    ),
]


class ConcernStage(StrEnum):
    GROUP_MANAGER_REVIEW = "group_manager_review"
    ASSISTANT_DIRECTOR_REVIEWS = "assistant_director_reviews"
    ASSURED = "assured"


class OpenConcern(Command):
    """Start the process for a case graded Inadequate in a practice evaluation."""

    concern_ref: ConcernRef
    audit_ref: CaseRef
    sample_no: int = Field(ge=1, le=999)
    partnership: PartnershipCode
    graded_on: date


class RecordGroupManagerReview(Command):
    """The Group Manager's review (due within 2 working days of the grading)."""

    reviewed_on: date
    safety_action_taken: bool = Field(description="action taken to ensure the child's safety")
    note: FreeText | None = None


class RecordAssistantDirectorReview(Command):
    """A weekly Assistant Director review; ``assured`` ends the process."""

    reviewed_on: date
    assured: bool = Field(description="the AD is assured an appropriate plan is in place")
    note: FreeText | None = None


CONCERN_COMMANDS: dict[str, type[Command]] = {
    "record_group_manager_review": RecordGroupManagerReview,
    "record_assistant_director_review": RecordAssistantDirectorReview,
}


class MissedReview(BaseModel):
    model_config = ConfigDict(extra="forbid")
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

    def current_ad_clock(self) -> Clock | None:
        open_ = [c for c in self.open_clocks() if c.key.startswith("ad_review:")]
        return open_[0] if open_ else None

    def _check_record_group_manager_review(self, c: RecordGroupManagerReview, today: date) -> None:
        if self.stage is not ConcernStage.GROUP_MANAGER_REVIEW:
            raise OutOfOrder(
                f"the Group Manager review is already recorded ({self.gm_reviewed_on})",
                rule="once_only",
            )

    def _check_record_assistant_director_review(
        self, c: RecordAssistantDirectorReview, today: date
    ) -> None:
        if self.stage is not ConcernStage.ASSISTANT_DIRECTOR_REVIEWS:
            raise OutOfOrder(
                "the Assistant Director's weekly reviews start after the Group Manager review",
                rule="group_manager_first",
            )
        assert self.gm_reviewed_on is not None
        if c.reviewed_on < (self.last_ad_review_on or self.gm_reviewed_on):
            raise OutOfOrder(
                "a review cannot predate the previous review",
                field="reviewed_on",
                rule="chronology",
            )

    def _on_record_group_manager_review(self, c: RecordGroupManagerReview) -> None:
        self.gm_reviewed_on = c.reviewed_on
        self.meet("gm_review", c.reviewed_on)
        self.stage = ConcernStage.ASSISTANT_DIRECTOR_REVIEWS

    def _on_record_assistant_director_review(self, c: RecordAssistantDirectorReview) -> None:
        current = self.current_ad_clock()
        if current is not None:
            self.meet(current.key, c.reviewed_on)
        self.ad_reviews += 1
        self.last_ad_review_on = c.reviewed_on
        if c.assured:
            self.assured_on = c.reviewed_on
            self.stage = ConcernStage.ASSURED
            self.close("Assistant Director assured an appropriate plan is in place")

    def _after_escalation(self, clock: Clock) -> None:
        if clock.escalations_sent == 1:
            self.missed.append(
                MissedReview(
                    clock=clock.key, due_on=clock.due_on, escalated_to=clock.escalations[0].to
                )
            )


def initial_concern_state(
    c: OpenConcern, *, policy: QaPolicy, calendar_version: str, today: date
) -> ConcernState:
    return ConcernState(
        ref=c.concern_ref,
        partnership=c.partnership,
        policy=policy,
        calendar_version=calendar_version,
        opened_on=c.graded_on,
        stage=ConcernStage.GROUP_MANAGER_REVIEW,
        audit_ref=c.audit_ref,
        sample_no=c.sample_no,
        graded_on=c.graded_on,
    )


def plan_opening_concern_clocks(
    state: ConcernState, c: OpenConcern, calendar: WorkingDayCalendar
) -> list[Clock]:
    p = state.policy
    due = calendar.add_working_days(c.graded_on, p.concern_group_manager_working_days)
    return [
        make_clock(
            key="gm_review",
            label="Group Manager review",
            rule=f"{p.concern_group_manager_working_days} working days",
            owner="Group Manager",
            start=c.graded_on,
            due_on=due,
            calendar=calendar,
            remind_on=(due,),
            ladder=[(0, list(p.concern_group_manager_escalate_to))],
        )
    ]


def _ad_clock(state: ConcernState, number: int, after: date, cal: WorkingDayCalendar) -> Clock:
    p = state.policy
    due = next_working_day(cal, after + timedelta(days=p.concern_review_interval_days))
    return make_clock(
        key=f"ad_review:{number}",
        label=f"Assistant Director review {number}",
        rule=f"every {p.concern_review_interval_days} days until assured",
        owner="Assistant Director",
        start=after,
        due_on=due,
        calendar=cal,
        remind_on=(due,),
        ladder=[(0, list(p.concern_review_escalate_to))],
        rolls_on_miss=True,
    )


def _next_number(state: ConcernState) -> int:
    return sum(1 for k in state.clocks if k.startswith("ad_review:")) + 1


def plan_concern_clocks(
    state: ConcernState, command: Command, calendar: WorkingDayCalendar
) -> list[Clock]:
    """The clocks ``command`` opens, computed before the event is triggered."""
    if isinstance(command, RecordGroupManagerReview):
        return [_ad_clock(state, _next_number(state), command.reviewed_on, calendar)]
    if isinstance(command, RecordAssistantDirectorReview) and not command.assured:
        return [_ad_clock(state, _next_number(state), command.reviewed_on, calendar)]
    return []


def plan_after_missed_review(
    state: ConcernState, clock: str, calendar: WorkingDayCalendar
) -> list[Clock]:
    """A missed weekly review is escalated and the next week's review falls due."""
    c = state.clocks[clock]
    if not c.rolls_on_miss:
        return []
    return [_ad_clock(state, _next_number(state), c.due_on, calendar)]
