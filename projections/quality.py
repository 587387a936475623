"""Lifecycle 2 (audit → findings → action plan → impact check; child of concern) for
the read models.

Folds audit, action-plan and child-of-concern events into their ``QaState`` without
the aggregate classes: a QA event's ``apply`` only needs an object with ``state``,
``applied_keys`` and ``chain_head``. Describers read the events' own typed fields.

No personal data reaches a view: the pseudonymous child references of a sample
or of findings are counted, never listed (a child of concern is named by audit
and sample position), and free text (reasons, notes, the measure an impact check
used) is only ever the sealed ``why`` of a trail entry. The text of actions and
of evidence stays in the event store.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.action_plan import ActionPlanState
from domain.action_plan.events import TOPIC_PREFIXES as ACTION_PLAN_TOPICS
from domain.audit import AuditState
from domain.audit.events import TOPIC_PREFIXES as AUDIT_TOPICS
from domain.child_of_concern import ConcernState
from domain.child_of_concern.events import TOPIC_PREFIXES as CONCERN_TOPICS
from domain.qa import Clock, QaState
from domain.standards import Grade
from projections.lifecycles import (
    ClockFact,
    Describer,
    OversightItem,
    StateLifecycle,
    TrailItem,
    asked_of_agencies,
    received_from_agency,
    trail_item,
)

__all__ = [
    "QA_MEASURES",
    "ActionPlanLifecycle",
    "AuditLifecycle",
    "ChildOfConcernLifecycle",
    "QaLifecycle",
]

#: clock key -> timeliness measure (only clocks that occur once per record)
QA_MEASURES = {"gm_review": "concern_gm_review"}


class QaLifecycle(StateLifecycle):
    """What the three lifecycle-2 records share: clocks, reminders, escalations, reads."""

    state_model: ClassVar[type[QaState]]
    #: who owns the next step when no clock is running
    default_owner: ClassVar[str]
    describers: ClassVar[dict[str, Describer]] = {}

    def ref(self, state: Any) -> str:
        return str(state.ref)

    def oversight(self, state: Any) -> OversightItem | None:
        s: QaState = state
        if s.closed:
            return None
        nxt = s.next_due()
        overdue = [c for c in s.open_clocks() if c.overdue]
        return OversightItem(
            kind=self.kind,
            ref=s.ref,
            partnership=s.partnership,
            stage=str(s.stage),
            owner=nxt.owner if nxt else self.default_owner,
            next_key=nxt.key if nxt else None,
            next_label=nxt.label if nxt else None,
            next_due_on=nxt.due_on if nxt else None,
            breached=bool(overdue),
            breached_labels=[c.label for c in overdue],
            agencies=self.agencies(s),
        )

    def clocks(self, state: Any) -> list[ClockFact]:
        s: QaState = state
        return [
            ClockFact(
                measure=QA_MEASURES[c.key],
                partnership=s.partnership,
                clock_start=c.clock_start,
                due_on=c.due_on,
                status=c.status,
                met_on=c.met_on,
                breached=c.overdue or c.late,
            )
            for c in s.clocks.values()
            if c.key in QA_MEASURES and c.status in ("open", "met", "cancelled")
        ]

    def describe(self, state: Any, event: Any) -> TrailItem:
        name = type(event).__name__
        describer = self.describers.get(name) or _COMMON.get(name)
        return trail_item(event, describer(state, event) if describer else None)


# ------------------------------------------------------------------ plain words


def _plain(value: str) -> str:
    return value.replace("_", " ")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _label(state: QaState, key: str) -> str:
    c = state.clocks.get(key)
    return c.label if c else _plain(key)


def _met(state: QaState, key: str) -> str:
    c = state.clocks.get(key)
    if c is None or c.status != "met":
        return ""
    return f" (late: was due {c.due_on})" if c.late else f" (within the due day, {c.due_on})"


def _next(event: Any) -> str:
    opened = [Clock.model_validate(c) for c in getattr(event, "opened", None) or []]
    if not opened:
        return ""
    return "; next: " + ", ".join(f"{c.label} due {c.due_on}" for c in opened)


def _reminder(s: QaState, e: Any) -> tuple[str, str | None]:
    return f"Reminder sent to {', '.join(e.sent_to)}: {_label(s, e.clock)} due {e.due_on}", None


def _escalated(s: QaState, e: Any) -> tuple[str, str | None]:
    to = ", ".join(e.escalated_to)
    label = _label(s, e.clock)
    if e.missed:
        return f"Missed: {label} was due {e.due_on}; escalated to {to}{_next(e)}", None
    lead = "Overdue" if e.index == 0 else "Still overdue"
    return f"{lead}: {label} was due {e.due_on}; escalated to {to}", None


def _read(s: QaState, e: Any) -> tuple[str, str | None]:
    return f"Record history read (purpose: {e.purpose})", None


_COMMON: dict[str, Describer] = {
    "ReminderSent": _reminder,
    "Escalated": _escalated,
    "HistoryRead": _read,
}


# ----------------------------------------------------------------------- audits

_AUDIT_KINDS = {
    "multi_agency_thematic": "multi-agency thematic audit",
    "case_file": "case file audit",
    "dip": "dip sample audit",
    "deep_dive": "deep dive",
    "mash": "MASH audit",
    "practice_evaluation": "practice evaluation",
    "fostering_practice_evaluation": "fostering practice evaluation",
    "early_help": "early help audit",
    "entry_to_care": "entry to care audit",
    "repeat_child_protection_plan": "repeat child protection plan audit",
    "long_child_protection_plan": "long child protection plan audit",
    "quality_assurance_review": "quality assurance review",
    "section_11": "section 11 audit",
    "kcsie_declaration": "KCSIE declaration",
    "eyfs_declaration": "EYFS declaration",
}


def _planned(s: AuditState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    kind = _AUDIT_KINDS.get(c["kind"], _plain(c["kind"]))
    return (
        f"Audit planned ({kind}): {c['theme']}, {c['period_start']} to {c['period_end']}; "
        f"sample of {_plural(c['sample_size'], 'case')}; led by {c['lead']}; agencies "
        f"{', '.join(c['agencies'])}; graded against {s.standards} "
        f"({_plural(len(s.standard_codes), 'practice standard')})",
        None,
    )


def _sample(s: AuditState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return f"Sample of {_plural(len(c['case_refs']), 'case')} drawn on {c['drawn_on']}", None


_returns_requested = asked_of_agencies("Audit returns")
_return = received_from_agency("Audit return", _met, "return:")


def _moderated(s: AuditState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    changed = c.get("grades_changed", 0)
    return (
        f"Moderation held on {c['held_on']} by {', '.join(c['moderators'])}; "
        f"{_plural(changed, 'grade')} changed",
        None,
    )


def _findings(s: AuditState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    counts = ", ".join(
        f"{s.overall_grades[g.value]} {_plain(g.value)}"
        for g in Grade
        if g.value in s.overall_grades
    )
    what = (
        f"Findings graded on {c['recorded_on']} for {_plural(len(c['findings']), 'case')}: {counts}"
    )
    if s.standard_grades:
        what += f"; graded per practice standard on {_plural(len(s.standard_grades), 'standard')}"
    if s.concerns:
        refs = ", ".join(x.concern_ref for x in s.concerns)
        what += f"; child-of-concern process starts for {refs}"
    return what, None


def _recipients(template: str) -> Describer:
    def describe(s: AuditState, e: Any) -> tuple[str, str | None]:
        c = vars(e)
        return template.format(**c) + ", ".join(c["recipients"]), None

    return describe


def _plan_raised(s: AuditState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    owners = ", ".join(sorted({a["owner_agency"] for a in c["actions"]}))
    return (
        f"Action plan {s.action_plan_ref} raised on {c['raised_on']} with "
        f"{_plural(len(c['actions']), 'action')} for {owners}; audit closed",
        None,
    )


def _audit_closed(s: AuditState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return f"Audit closed on {c['closed_on']} without an action plan", c.get("reason")


class AuditLifecycle(QaLifecycle):
    kind = "audit"
    topic_prefixes = AUDIT_TOPICS
    state_model = AuditState
    default_owner = "audit lead"
    describers: ClassVar[dict[str, Describer]] = {
        "Planned": _planned,
        "SampleDrawn": _sample,
        "ReturnsRequested": _returns_requested,
        "ReturnReceived": _return,
        "Moderated": _moderated,
        "FindingsGraded": _findings,
        "ReportIssued": _recipients("Audit report issued on {reported_on} to "),
        "LearningBriefingIssued": _recipients("Learning briefing issued on {issued_on} to "),
        "ActionPlanRaised": _plan_raised,
        "ClosedWithoutActions": _audit_closed,
    }

    def agencies(self, state: Any) -> list[str]:
        s: AuditState = state
        return sorted(set(s.agencies) | set(s.returns))

    # The folded state keeps the sample's references in the sealed state store (its
    # serialised form for Temporal has only their count): the findings need them.
    def dump(self, state: Any) -> str:
        s: AuditState = state
        return s.dump_with_refs()

    def load(self, data: str) -> Any:
        return AuditState.load_with_refs(data)


# ----------------------------------------------------------------- action plans


def _actions(opened: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{c['label']} due {c['due_on']}" for c in opened if str(c["key"]).startswith("action:")
    )


def _plan_opened(s: ActionPlanState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    source = "audit" if c["source"] == "audit" else "review case"
    return (
        f"Action plan opened on {c['opened_on']} for {source} {c['source_ref']} with "
        f"{_plural(len(c['actions']), 'action')}: {_actions(e.opened)}",
        None,
    )


def _progress(s: ActionPlanState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return (
        f"Progress on action {c['action_id']} reported on {c['reported_on']}: "
        f"{_plain(c['status'])}",
        c.get("note"),
    )


def _evidence(s: ActionPlanState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    n = s.actions[c["action_id"]].evidence
    return (
        f"Evidence for action {c['action_id']} received on {c['received_on']} "
        f"({_plural(n, 'item')} so far)",
        None,
    )


def _completed(s: ActionPlanState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    what = f"Action {c['action_id']} completed on {c['completed_on']}" + _met(
        s, f"action:{c['action_id']}"
    )
    if s.impact_from is not None:
        what += f"; every action complete: impact check from {s.impact_from}{_next(e)}"
    return what, c.get("note")


def _impact(s: ActionPlanState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    what = f"Impact check on {c['checked_on']} by {_plain(c['method']).replace(' ', '-')}: "
    if c["result"] == "improved":
        what += "practice improved; action plan closed"
    else:
        what += (
            f"practice not improved; {_plural(len(c['new_actions']), 'new action')}: "
            f"{_actions(e.opened)}"
        )
    return what, c.get("measure")


class ActionPlanLifecycle(QaLifecycle):
    kind = "actionplan"
    topic_prefixes = ACTION_PLAN_TOPICS
    state_model = ActionPlanState
    default_owner = "QA subgroup chair"
    describers: ClassVar[dict[str, Describer]] = {
        "PlanOpened": _plan_opened,
        "ProgressReported": _progress,
        "EvidenceReceived": _evidence,
        "ActionCompleted": _completed,
        "ImpactChecked": _impact,
    }

    def oversight(self, state: Any) -> OversightItem | None:
        item = super().oversight(state)
        if item is not None and item.next_key is None:
            item.owner = state.policy.subgroup_chair
        return item

    def agencies(self, state: Any) -> list[str]:
        s: ActionPlanState = state
        return sorted({a.owner_agency for a in s.actions.values()})


# ------------------------------------------------------------- child of concern


def _concern_opened(s: ConcernState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return (
        f"Child-of-concern process opened: sample case {c['sample_no']} of audit "
        f"{c['audit_ref']} graded inadequate on {c['graded_on']}{_next(e)}",
        None,
    )


def _gm_review(s: ConcernState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    safety = (
        "action taken to keep the child safe"
        if c["safety_action_taken"]
        else "no action yet taken to keep the child safe"
    )
    return (
        f"Group Manager review on {c['reviewed_on']}{_met(s, 'gm_review')}: {safety}{_next(e)}",
        c.get("note"),
    )


def _ad_review(s: ConcernState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    met = [
        x
        for x in s.clocks.values()
        if x.key.startswith("ad_review:") and x.status == "met" and x.met_on == s.last_ad_review_on
    ]
    # the weekly review this one met: the latest met (a missed week rolls on to the next)
    done = max(met, key=lambda x: int(x.key.split(":")[1]), default=None)
    what = f"{done.label if done else 'Assistant Director review'} on {c['reviewed_on']}"
    if done is not None:
        what += _met(s, done.key)
    if c["assured"]:
        what += ": assured an appropriate plan is in place; process closed"
    else:
        what += ": not yet assured an appropriate plan is in place" + _next(e)
    return what, c.get("note")


class ChildOfConcernLifecycle(QaLifecycle):
    kind = "childofconcern"
    topic_prefixes = CONCERN_TOPICS
    state_model = ConcernState
    default_owner = "Assistant Director"
    describers: ClassVar[dict[str, Describer]] = {
        "ConcernOpened": _concern_opened,
        "GroupManagerReviewed": _gm_review,
        "AssistantDirectorReviewed": _ad_review,
    }
