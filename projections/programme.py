"""Lifecycle 3 (the recurring QA programme) for the read models: oversight rows and
trail entries for programmes, subgroups, scorecards and Section 11 cycles.

Folded like lifecycle 2 (``projections.quality.QaLifecycle``). No personal data
reaches a view: action and decision text, evidence documents and agenda items stay
in the event store; rows name records, agencies, stages and due days only.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from domain.assurance import AssuranceState
from domain.assurance.events import TOPIC_PREFIXES as ASSURANCE_TOPICS
from domain.programme import ProgrammeState
from domain.programme.events import TOPIC_PREFIXES as PROGRAMME_TOPICS
from domain.scorecard import ScorecardState
from domain.scorecard.events import TOPIC_PREFIXES as SCORECARD_TOPICS
from domain.section11 import Section11State
from domain.section11.events import TOPIC_PREFIXES as SECTION11_TOPICS
from domain.subgroup import SubgroupState
from domain.subgroup.events import TOPIC_PREFIXES as SUBGROUP_TOPICS
from projections.lifecycles import Describer, OversightItem
from projections.quality import QaLifecycle

__all__ = [
    "AssuranceLifecycle",
    "ProgrammeLifecycle",
    "ScorecardLifecycle",
    "Section11Lifecycle",
    "SubgroupLifecycle",
]


def _section11_opened(s: Section11State, e: Any) -> tuple[str, str | None]:
    return (
        f"Section 11 cycle year {e.cycle_year} opened: self-assessments from "
        f"{', '.join(e.agencies)} against {len(e.standards)} standards due {e.returns_due_on}",
        None,
    )


def _submitted(s: Section11State, e: Any) -> tuple[str, str | None]:
    rags = [r["rag"] for r in e.ratings]
    counts = ", ".join(f"{rags.count(x)} {x}" for x in ("red", "amber", "green"))
    late = " (late)" if s.returns[e.agency].late else ""
    return f"{e.agency} self-assessment submitted on {e.submitted_on}{late}: {counts}", None


def _panel(s: Section11State, e: Any) -> tuple[str, str | None]:
    return f"Scrutiny panel held on {e.held_on}: {', '.join(e.agencies)}", None


def _raised(s: Section11State, e: Any) -> tuple[str, str | None]:
    return (
        f"Action {e.action_id} for {e.agency} on {e.standard}, due {e.due_on}",
        e.action,
    )


def _completed(s: Section11State, e: Any) -> tuple[str, str | None]:
    return f"Action {e.action_id} completed on {e.completed_on}", e.evidence


class Section11Lifecycle(QaLifecycle):
    kind = "section11"
    topic_prefixes = SECTION11_TOPICS
    state_model = Section11State
    default_owner = "Section 11 scrutiny panel"
    describers: ClassVar[dict[str, Describer]] = {
        "Section11CycleOpened": _section11_opened,
        "SelfAssessmentSubmitted": _submitted,
        "ScrutinyPanelHeld": _panel,
        "S11ActionRaised": _raised,
        "S11ActionCompleted": _completed,
    }

    def agencies(self, state: Any) -> list[str]:
        s: Section11State = state
        return sorted(s.agencies)


class ProgrammeLifecycle(QaLifecycle):
    """A year's programme: its row shows the next planned occurrence not yet opened."""

    kind = "programme"
    topic_prefixes = PROGRAMME_TOPICS
    state_model = ProgrammeState
    default_owner = "partnership business manager"

    def oversight(self, state: Any) -> OversightItem | None:
        item = super().oversight(state)
        s: ProgrammeState = state
        if item is None:
            return None
        planned = [
            (date(s.year, month, 1), entry.title)
            for entry in s.entries.values()
            if not entry.paused
            for month, occ in entry.occurrences.items()
            if occ.status == "planned"
        ]
        if planned:
            item.next_due_on, item.next_label = min(planned)
            item.next_key = "occurrence"
        return item


class SubgroupLifecycle(QaLifecycle):
    """A subgroup: its row shows the earliest open action's due day (carried over)."""

    kind = "subgroup"
    topic_prefixes = SUBGROUP_TOPICS
    state_model = SubgroupState
    default_owner = "subgroup chair"

    def oversight(self, state: Any) -> OversightItem | None:
        item = super().oversight(state)
        s: SubgroupState = state
        if item is None:
            return None
        actions = sorted(s.open_actions(), key=lambda a: a.due_on)
        if actions:
            first = actions[0]
            item.next_key, item.next_due_on = "action", first.due_on
            item.next_label = f"Action {first.id} ({first.owner_agency})"
            item.owner = first.owner_agency
        return item

    def agencies(self, state: Any) -> list[str]:
        s: SubgroupState = state
        return sorted(s.members)


class ScorecardLifecycle(QaLifecycle):
    kind = "scorecard"
    topic_prefixes = SCORECARD_TOPICS
    state_model = ScorecardState
    default_owner = "subgroup chair"

    def agencies(self, state: Any) -> list[str]:
        s: ScorecardState = state
        return sorted({i.source_agency for i in s.indicators.values()})


class AssuranceLifecycle(QaLifecycle):
    """A practice week, clinic, declaration round or thematic audit: actions on clocks."""

    kind = "assurance"
    topic_prefixes = ASSURANCE_TOPICS
    state_model = AssuranceState
    default_owner = "QA subgroup chair"

    def agencies(self, state: Any) -> list[str]:
        s: AssuranceState = state
        return sorted(s.agencies)
