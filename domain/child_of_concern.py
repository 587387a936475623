"""The child-of-concern aggregate: Group Manager review, then weekly AD reviews."""

from __future__ import annotations

from typing import ClassVar

from domain.child_of_concern_model import ConcernState
from domain.qa_clock import QaState
from domain.qa_record import QaRecord, wire_events

__all__ = ["ChildOfConcern"]


class ChildOfConcern(QaRecord):
    """A child / young person of concern and the reviews recorded about them."""

    KIND: ClassVar[str] = "childofconcern"
    STATE: ClassVar[type[QaState]] = ConcernState

    class ConcernOpened(QaRecord.Opened):
        pass

    class GroupManagerReviewed(QaRecord.StepRecorded):
        STEP = "record_group_manager_review"

    class AssistantDirectorReviewed(QaRecord.StepRecorded):
        STEP = "record_assistant_director_review"


wire_events(ChildOfConcern)
