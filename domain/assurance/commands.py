"""Audits of the kinds that are not case samples (issue 10): practice week
(observations and reflective discussions over a week), performance clinic (data,
audit findings, actions and complaints reviewed; actions raised), KCSIE / EYFS /
Section 11 assurance declarations, and thematic audits with an external critical
friend. The grading scale is data, recorded on the activity (the four-point scale
by default). Strict input, never stored."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from domain.standards import Grade
from domain.values import AgencyCode, CaseRef, Command, Day, Label, PartnershipCode, invalid

__all__ = [
    "ASSURANCE_COMMANDS",
    "ASSURANCE_KINDS",
    "FOUR_POINT_SCALE",
    "STEPS_BY_KIND",
    "AssuranceKind",
    "CloseAssurance",
    "CompleteAssuranceAction",
    "OpenAssurance",
    "RaiseAssuranceAction",
    "RecordCriticalFriendView",
    "RecordDeclaration",
    "RecordObservation",
    "ReviewClinicItem",
]

AssuranceKind = Literal[
    "practice_week",
    "performance_clinic",
    "kcsie_declaration",
    "eyfs_declaration",
    "section_11_declaration",
    "thematic",
]
ASSURANCE_KINDS: tuple[str, ...] = AssuranceKind.__args__  # type: ignore[attr-defined]
#: the four-point scale of a practice evaluation, best first (the default scale)
FOUR_POINT_SCALE: tuple[str, ...] = tuple(g.value for g in Grade)
GradeName = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z_]{1,39}$")
]
AssuranceActionId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^AA[0-9]{1,4}$")
]


class OpenAssurance(Command):
    """Open an assurance activity of a kind that is not a case sample."""

    activity_ref: CaseRef = Field(description="e.g. PW-2026-05")
    partnership: PartnershipCode
    kind: AssuranceKind
    theme: Label
    agencies: list[AgencyCode] = Field(min_length=1, max_length=40)
    scale: list[GradeName] = Field(
        default_factory=lambda: list(FOUR_POINT_SCALE),
        min_length=2,
        max_length=7,
        description="the grades, best first (default: the four-point scale)",
    )
    critical_friend: Label | None = Field(
        default=None, description="the external critical friend's role (thematic audits)"
    )
    opened_on: Day

    @model_validator(mode="after")
    def _rules(self) -> OpenAssurance:
        if len(set(self.scale)) != len(self.scale):
            raise invalid("scale", "unique", "each grade may appear once")
        if len(set(self.agencies)) != len(self.agencies):
            raise invalid("agencies", "unique", "each agency may appear once")
        if self.kind == "thematic" and not self.critical_friend:
            raise invalid(
                "critical_friend",
                "critical_friend",
                "a thematic audit has an external critical friend",
            )
        return self


class RecordObservation(Command):
    """Practice week: an observation or a reflective discussion, graded on the scale."""

    agency: AgencyCode
    form: Literal["observation", "reflective_discussion"]
    grade: GradeName
    held_on: Day


class ReviewClinicItem(Command):
    """Performance clinic: one item reviewed (data, audit findings, actions, complaints)."""

    item: Literal["data", "audit_findings", "actions", "complaints"]
    reviewed_on: Day


class RecordDeclaration(Command):
    """An agency's KCSIE / EYFS / Section 11 assurance declaration."""

    agency: AgencyCode
    compliant: bool
    declared_on: Day
    evidence: Label = Field(description="the document the declaration rests on")


class RecordCriticalFriendView(Command):
    """Thematic audit: the external critical friend's view, graded on the scale."""

    grade: GradeName
    given_on: Day


class RaiseAssuranceAction(Command):
    """An action for an agency, with its due day (on the clock engine)."""

    agency: AgencyCode
    action: Label = Field(description="what is to be done (no personal data)")
    raised_on: Day
    due_on: Day


class CompleteAssuranceAction(Command):
    action_id: AssuranceActionId
    completed_on: Day


class CloseAssurance(Command):
    """Close the activity, with its overall grade on the scale (if it grades)."""

    closed_on: Day
    overall: GradeName | None = None


ASSURANCE_COMMANDS: dict[str, type[Command]] = {
    "record_observation": RecordObservation,
    "review_clinic_item": ReviewClinicItem,
    "record_declaration": RecordDeclaration,
    "record_critical_friend_view": RecordCriticalFriendView,
    "raise_assurance_action": RaiseAssuranceAction,
    "complete_assurance_action": CompleteAssuranceAction,
    "close_assurance": CloseAssurance,
}
_COMMON: set[type[Command]] = {RaiseAssuranceAction, CompleteAssuranceAction, CloseAssurance}
#: which steps each kind takes: not every kind is forced through a sample of cases
STEPS_BY_KIND: dict[str, set[type[Command]]] = {
    "practice_week": {RecordObservation, *_COMMON},
    "performance_clinic": {ReviewClinicItem, *_COMMON},
    "kcsie_declaration": {RecordDeclaration, *_COMMON},
    "eyfs_declaration": {RecordDeclaration, *_COMMON},
    "section_11_declaration": {RecordDeclaration, *_COMMON},
    "thematic": {RecordObservation, RecordCriticalFriendView, *_COMMON},
}
