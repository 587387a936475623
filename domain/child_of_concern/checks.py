"""The rules a child-of-concern step must pass before it is recorded: one per command type."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from domain.child_of_concern.commands import (
    CONCERN_COMMANDS,
    RecordAssistantDirectorReview,
    RecordGroupManagerReview,
)
from domain.child_of_concern.stages import ConcernStage
from domain.errors import OutOfOrder
from domain.qa.checks import Rule, dispatch
from domain.values import Command

if TYPE_CHECKING:
    from domain.child_of_concern.state import ConcernState

__all__ = ["CHECKS", "check"]


def check(s: ConcernState, command: Command, today: date) -> None:
    """Raise ``RuleViolation`` if ``command`` may not be applied to ``s`` now."""
    dispatch(s, command, today, CHECKS)


def _group_manager_review(s: ConcernState, c: RecordGroupManagerReview, today: date) -> None:
    if s.stage is not ConcernStage.GROUP_MANAGER_REVIEW:
        raise OutOfOrder(
            f"the Group Manager review is already recorded ({s.gm_reviewed_on})",
            rule="once_only",
        )


def _assistant_director_review(
    s: ConcernState, c: RecordAssistantDirectorReview, today: date
) -> None:
    if s.stage is not ConcernStage.ASSISTANT_DIRECTOR_REVIEWS:
        raise OutOfOrder(
            "the Assistant Director's weekly reviews start after the Group Manager review",
            rule="group_manager_first",
        )
    assert s.gm_reviewed_on is not None
    if c.reviewed_on < (s.last_ad_review_on or s.gm_reviewed_on):
        raise OutOfOrder(
            "a review cannot predate the previous review",
            field="reviewed_on",
            rule="chronology",
        )


CHECKS: Mapping[type[Command], Rule] = {
    RecordGroupManagerReview: _group_manager_review,
    RecordAssistantDirectorReview: _assistant_director_review,
}
if set(CHECKS) != set(CONCERN_COMMANDS.values()):  # pragma: no cover - a programming error
    raise TypeError(f"commands without a rule: {set(CONCERN_COMMANDS.values()) ^ set(CHECKS)}")
