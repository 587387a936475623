"""Lifecycle 1 (serious incident → rapid review → LCSPR → publication) for the read models.

Folds review events into ``ReviewState`` without the aggregate class
(``projections.lifecycles.StateLifecycle``).
"""

from __future__ import annotations

from typing import Any

from domain.review import ReviewState
from domain.review.events import TOPIC_PREFIXES
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

__all__ = ["MEASURES", "ReviewLifecycle"]

#: deadline key -> timeliness measure
MEASURES = {
    "panel_notification": "notification",
    "rapid_review": "rapid_review",
    "lcspr_final_report": "lcspr",
    "publication_notice": "publication_notice",
}

_DEFAULT_OWNER = "partnership business manager"

_DECISIONS = {
    "no_further_review": "no further review",
    "lcspr": "a local child safeguarding practice review (LCSPR)",
    "national_review": "refer for a national review",
}
_BODIES = {"panel": "the national Panel", "ofsted": "Ofsted", "dfe": "the DfE"}


class ReviewLifecycle(StateLifecycle):
    kind = "review"
    topic_prefixes = TOPIC_PREFIXES
    state_model = ReviewState

    def ref(self, state: Any) -> str:
        return str(state.case_ref)

    def oversight(self, state: Any) -> OversightItem | None:
        s: ReviewState = state
        if s.stage.value == "closed":
            return None
        nxt = s.next_deadline()
        breached = [d for d in s.open_deadlines() if d.breached]
        return OversightItem(
            kind=self.kind,
            ref=s.case_ref,
            partnership=s.partnership,
            stage=s.stage.value,
            owner=nxt.owner_role if nxt else _DEFAULT_OWNER,
            next_key=nxt.key if nxt else None,
            next_label=nxt.label if nxt else None,
            next_due_on=nxt.due_on if nxt else None,
            breached=bool(breached),
            breached_labels=[d.label for d in breached],
            paused=sum(1 for d in s.open_deadlines() if d.paused_on is not None),
            agencies=self.agencies(s),
        )

    def agencies(self, state: Any) -> list[str]:
        s: ReviewState = state
        return sorted(s.agencies)

    def clocks(self, state: Any) -> list[ClockFact]:
        s: ReviewState = state
        return [
            ClockFact(
                measure=MEASURES[d.key],
                partnership=s.partnership,
                clock_start=d.clock_start,
                due_on=d.due_on,
                status=d.status,
                met_on=d.met_on,
                breached=d.breached,
            )
            for d in s.deadlines.values()
            if d.key in MEASURES
        ]

    def describe(self, state: Any, event: Any) -> TrailItem:
        describer = _DESCRIBE.get(type(event).__name__)
        return trail_item(event, describer(state, event) if describer else None)


# ------------------------------------------------------------------ plain words


def _met(state: ReviewState, key: str) -> str:
    d = state.deadlines.get(key)
    if d is None or d.status != "met":
        return ""
    return f" (late: was due {d.due_on})" if d.late else f" (within the deadline, {d.due_on})"


def _label(state: ReviewState, key: str) -> str:
    d = state.deadlines.get(key)
    return d.label if d else key.replace("_", " ")


def _opened(event: Any) -> str:
    opened = getattr(event, "opened", None) or []
    if not opened:
        return ""
    return "; clocks started: " + ", ".join(f"{d['label']} due {d['due_on']}" for d in opened)


def _incident(s: ReviewState, e: Any) -> tuple[str, str | None]:
    r = vars(e)
    harm = "child died" if r.get("harm") == "died" else "child seriously harmed"
    abuse = "abuse or neglect known or suspected" if r.get("abuse_or_neglect") else "no abuse"
    lac = "; looked-after child" if r.get("looked_after") else ""
    n = len(r.get("child_refs", []))
    return (
        f"Serious incident notification opened the case ({harm}; {abuse}{lac}; "
        f"{n} child{'ren' if n != 1 else ''}; incident {r.get('incident_on')}, local authority "
        f"aware {r.get('aware_on')}){_opened(e)}",
        None,
    )


def _simple(template: str, key: str | None = None) -> Describer:
    def describe(s: ReviewState, e: Any) -> tuple[str, str | None]:
        return template.format(**vars(e)) + (_met(s, key) if key else "") + _opened(e), None

    return describe


def _threshold(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    who = c.get("decided_by") or []
    by = f" (decided by {', '.join(who)})" if who else ""
    if c["met"]:
        what = (
            f"SIN discussion on {c['decided_on']}{by}: the serious-incident criteria are met; "
            "the rapid review starts with the Panel notification"
        )
    else:
        outcome = (
            "a non-statutory multi-agency case-based review"
            if c.get("outcome_if_not_met") == "case_based_review"
            else "the case closes"
        )
        what = f"SIN discussion on {c['decided_on']}{by}: criteria not met; {outcome}"
    return what + _opened(e), c.get("rationale")


_requested = asked_of_agencies("Agency summaries")
_summary = received_from_agency("Summary", _met, "agency_summary:")


def _meeting(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return (
        f"Rapid review meeting held on {c['held_on']} with " + ", ".join(c["agencies_present"]),
        None,
    )


def _decision(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    decision = _DECISIONS.get(c["decision"], c["decision"])
    return f"Rapid review decision on {c['decided_on']}: {decision}", c.get("rationale")


def _panel(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    verb = "agrees with" if c["response"] == "agrees" else "challenges"
    what = f"The national Panel {verb} the rapid review decision (received {c['received_on']})"
    if c["response"] == "challenges" and c.get("reopens_decision", True):
        what += "; the decision is reopened"
    elif c["response"] == "challenges":
        what += "; the partners' decision and its date stand until they reply"
    return what + _opened(e), c.get("notes")


def _tor(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    n = len(c["lines_of_enquiry"])
    return (
        f"Terms of reference agreed on {c['agreed_on']} ({n} line{'s' if n != 1 else ''} "
        "of enquiry)",
        None,
    )


def _bodies(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    who = ", ".join(_BODIES.get(b, b) for b in c["bodies"])
    return f"LCSPR notified to {who} on {c['informed_on']}", None


def _checkpoint(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return (
        f"LCSPR progress checkpoint on {c['held_on']}: {c['status'].replace('_', ' ')}"
        + _opened(e),
        c.get("note"),
    )


def _pause(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return (
        f"Clock paused on {c['paused_on']}: {_label(s, c['clock'])} "
        f"({c['reason'].replace('_', ' ')})"
        + (f"; the national Panel told on {c['panel_told_on']}" if c.get("panel_told_on") else ""),
        c.get("detail"),
    )


def _resume(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    d = s.deadlines.get(c["clock"])
    due = f"; now due {d.due_on}" if d else ""
    return f"Clock resumed on {c['resumed_on']}: {_label(s, c['clock'])}{due}", c.get("note")


def _plan(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    d = s.deadlines.get("publication_notice")
    notice = f" (final report to the Panel and Secretary of State by {d.due_on})" if d else ""
    return f"Publication planned for {c['planned_on']}{notice}", None


def _declined(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    imp = "improvements published" if c["improvements_published"] else "improvements not published"
    return f"Decision on {c['decided_on']} not to publish the report ({imp})", c.get("reasons")


def _recs(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    recs = c["recommendations"]
    owners = ", ".join(sorted({r["owner_agency"] for r in recs}))
    return (
        f"{len(recs)} recommendation{'s' if len(recs) != 1 else ''} recorded on "
        f"{c['recorded_on']} for {owners}; case closed ({s.outcome})",
        None,
    )


def _reminder(s: ReviewState, e: Any) -> tuple[str, str | None]:
    return (
        f"Reminder sent to {', '.join(e.sent_to)}: {_label(s, e.deadline)} due {e.due_on}",
        None,
    )


def _breach(s: ReviewState, e: Any) -> tuple[str, str | None]:
    return (
        f"Deadline missed: {_label(s, e.deadline)} was due {e.due_on}; escalated to "
        + ", ".join(e.escalated_to),
        None,
    )


def _withdrawn(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    return (
        f"Rapid review withdrawn on {c['withdrawn_on']} (decided by "
        f"{', '.join(c['decided_by'])}): the criteria were not met after all; case closed",
        c.get("reasons"),
    )


def _delay(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    told = "reported to the national Panel" if c["panel_told"] else "not yet reported to the Panel"
    return (
        f"Delay recorded on {c['reported_on']}: {_label(s, c['clock'])} ({told}); "
        "the clock does not pause",
        c.get("reason"),
    )


def _reply(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    if c["reply"] == "maintain":
        what = (
            f"The partners maintain their decision after the Panel's challenge ({c['replied_on']})"
        )
    else:
        decision = _DECISIONS.get(c["decision"], c["decision"])
        what = f"The partners change their decision on {c['replied_on']}: {decision}"
    return what + _opened(e), c.get("rationale")


def _request(s: ReviewState, e: Any) -> tuple[str, str | None]:
    c = vars(e)
    if c["request"] == "national_review":
        what = (
            f"The national Panel took the case into a national review ({c['received_on']}); "
            "the local review's clocks stop, not met; case closed"
        )
    else:
        what = f"The national Panel asked for more information on {c['received_on']}" + _opened(e)
    return what, c.get("notes")


def _read(s: ReviewState, e: Any) -> tuple[str, str | None]:
    as_at = f" as it stood at {e.as_at}" if e.as_at else ""
    return f"Case history read{as_at} (purpose: {e.purpose})", None


_DESCRIBE: dict[str, Describer] = {
    "IncidentReported": _incident,
    "PanelNotified": _simple("National Panel notified on {notified_on}", "panel_notification"),
    "PartnersInformed": _simple(
        "Safeguarding partners informed on {informed_on}", "partners_informed"
    ),
    "SecretaryOfStateAndOfstedNotified": _simple(
        "Secretary of State and Ofsted notified on {notified_on}", "sos_ofsted_notification"
    ),
    "ThresholdDecided": _threshold,
    "AgencySummariesRequested": _requested,
    "AgencySummaryReceived": _summary,
    "RapidReviewMeetingHeld": _meeting,
    "RapidReviewDecided": _decision,
    "RapidReviewReportSubmitted": _simple(
        "Rapid review report submitted to the national Panel on {submitted_on}", "rapid_review"
    ),
    "PanelResponded": _panel,
    "ReviewerAppointed": _simple("Independent reviewer {reviewer} appointed on {appointed_on}"),
    "TermsOfReferenceAgreed": _tor,
    "BodiesInformed": _bodies,
    "ProgressCheckpointRecorded": _checkpoint,
    "ClockPaused": _pause,
    "ClockResumed": _resume,
    "FinalReportCompleted": _simple(
        "LCSPR final report completed on {completed_on}", "lcspr_final_report"
    ),
    "PublicationPlanned": _plan,
    "FinalReportSent": _simple(
        "Final report sent to the national Panel and the Secretary of State on {sent_on}",
        "publication_notice",
    ),
    "Published": _simple("Report published on {published_on}"),
    "PublicationDeclined": _declined,
    "RecommendationsRecorded": _recs,
    "DeadlineReminderSent": _reminder,
    "DeadlineBreached": _breach,
    "HistoryRead": _read,
    "RapidReviewWithdrawn": _withdrawn,
    "DelayRecorded": _delay,
    "ChallengeReplied": _reply,
    "PanelRequestReceived": _request,
    "PanelInformationSent": _simple(
        "Further information sent to the national Panel on {sent_on}", "panel_information"
    ),
}
