# ruff: noqa
# mypy: ignore-errors
"""Write the v1 legacy event stores and their manifest (run once; the output is committed).

    .venv/bin/python -m tests.legacy.make_v1_store

Run at commit 2be70a3 ("one trail-entry builder and event-name wording for every
lifecycle's audit trail"), the last commit before the event model (typed,
versioned events with upcasters), the hash chain (a keyed ledger) and the
workflows change. It writes, beside this file:

- ``store_v1.sqlite``: every lifecycle at every stage, written by that release;
- ``store_v1_cipher.sqlite``: the same records with the events encrypted at rest
  (``QA_CIPHER_KEY`` = the test-only key in ``tests/legacy/keys.py``);
- ``manifest_v1.json``: for every record its kind, reference, partnership,
  aggregate id, number of stored events, stage, outcome, open and paused clocks
  and event class names, and the read-model rows (oversight, timeliness, trail
  counts) that release's projections computed from the store.

Why it is kept: data written by a released version must load, verify, rebuild its
projections and carry on after any later change. ``tests/test_legacy_store.py``
checks exactly that against these files, so the files must NEVER be regenerated
by a later version of the code (that would prove nothing). If this script no
longer runs after a change, that is expected: it documents how the data was made.

Everything is written through the real application services
(``qa_engine.bootstrap.bootstrap``: ``services.reviews`` and ``services.quality``),
without Temporal, with idempotency keys shaped like the workflows' (the workflow
id, then the step: ``review-<REF>/...``, ``audit-<REF>/...``), on fixed past dates.
The one liberty taken: event timestamps (``recorded_at``), which the release takes
from the wall clock, are pinned to the business day of each step (10:00 London;
timers at the instant they fire), so ``as_at`` reads and the audit trail's times
agree with the recorded dates and a re-run gives the same facts. The keys of
history reads (``read/<uuid4>``) and the cipher's nonces still differ per run.

The SQLite files hold what a deployment's database holds: the events and, after
one projection catch-up, the read-model tables beside them.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from pydantic import SecretStr

import projections.runner
from domain.action_plan_model import ACTION_PLAN_COMMANDS, OpenActionPlan, OpenPlanFromReview
from domain.audit_model import AUDIT_COMMANDS, PlanAudit
from domain.chain import ChainedAggregate
from domain.child_of_concern_model import CONCERN_COMMANDS, OpenConcern
from domain.qa_record import record_id
from domain.review import review_id
from domain.review_model import COMMANDS, ReportIncident
from projections.catalogue import build_runner
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from tests.legacy.keys import LEGACY_CIPHER_KEY

HERE = Path(__file__).parent
STORE = HERE / "store_v1.sqlite"
CIPHER_STORE = HERE / "store_v1_cipher.sqlite"
MANIFEST = HERE / "manifest_v1.json"
COMMIT = "2be70a3"
#: when the read models were caught up (the tracking table's ``updated_at``)
PROJECTED_AT = "2025-11-28T18:00:00+00:00"

LONDON = ZoneInfo("Europe/London")
STAFF = {"name": "Alex Morgan", "role": "partnership business manager"}
QA_LEAD = {"name": "Sam Okafor", "role": "QA subgroup chair"}
INSPECTOR = {"name": "Pat Inspector", "role": "Ofsted inspector"}
SCRUTINEER = {"name": "Ivy Scrutineer", "role": "independent scrutineer"}


# ------------------------------------------------------------------ the clock


class PinnedClock:
    """Stands in for the wall clock of every event: the instant the script says.

    Within one record each timestamp is later than the one before (by a second
    when two steps share an instant), so ``as_at`` reads stay in order."""

    def __init__(self) -> None:
        self.wanted: datetime | None = None
        self.last: datetime | None = None

    def begin(self) -> None:
        """A new record: its own timeline."""
        self.last = None

    def at(self, when: datetime | date) -> None:
        if not isinstance(when, datetime):
            when = datetime.combine(when, time(10), tzinfo=LONDON)
        self.wanted = when

    def __call__(self) -> datetime:
        if self.wanted is None:
            raise RuntimeError("the pinned clock was not set")
        t = self.wanted.astimezone(ZoneInfo("UTC"))
        if self.last is not None and t <= self.last:
            if _london_day(t) < _london_day(self.last):
                raise AssertionError(f"the story goes back in time: {t} after {self.last}")
            t = self.last + timedelta(seconds=1)
        self.last = t
        return t


def _london_day(t: datetime) -> date:
    return t.astimezone(LONDON).date()


@contextmanager
def pinned(clock: PinnedClock) -> Iterator[None]:
    event_class: Any = ChainedAggregate.Event
    original = event_class.__dict__.get("create_timestamp")
    event_class.create_timestamp = staticmethod(clock)
    try:
        yield
    finally:
        if original is None:
            del event_class.create_timestamp
        else:
            event_class.create_timestamp = original


# ---------------------------------------------------------------- the writers


def d(text: str) -> date:
    return date.fromisoformat(text)


class Writer:
    """The calls the workflows' activities make, with workflow-shaped keys."""

    def __init__(self, services: Services, clock: PinnedClock) -> None:
        self.s = services
        self.clock = clock
        self.seq: dict[str, int] = {}

    def _key(self, workflow_id: str, name: str, today: date) -> str:
        n = self.seq[workflow_id] = self.seq.get(workflow_id, 0) + 1
        return f"{workflow_id}/{name}/{today.isoformat()}/{n}"

    # reviews -------------------------------------------------------------

    def report(self, ref: str, aware: date, *, partnership: str = "GSCP", **overrides: Any) -> None:
        self.clock.begin()
        self.clock.at(aware)
        command = ReportIncident.model_validate(
            {
                "actor": STAFF,
                "case_ref": ref,
                "partnership": partnership,
                "incident_on": aware - timedelta(days=2),
                "aware_on": aware,
                "child_refs": ["C-10001"],
                "abuse_or_neglect": True,
                "harm": "seriously_harmed",
                **overrides,
            }
        )
        self.s.reviews.report_incident(command, key=f"review-{ref}/reported", today=aware)

    def step(self, ref: str, name: str, today: date, **fields: Any) -> Any:
        self.clock.at(today)
        command = COMMANDS[name].model_validate({"actor": STAFF, **fields})
        key = self._key(f"review-{ref}", name, today)
        return self.s.reviews.record_step(ref, name, command, key=key, today=today)

    def remind(self, ref: str, deadline: str) -> None:
        dl = self.s.reviews.state(ref).deadlines[deadline]
        assert dl.remind_at is not None
        self.clock.at(dl.remind_at)
        key = f"review-{ref}/remind/{deadline}/{dl.due_on.isoformat()}"
        self.s.reviews.send_reminder(ref, deadline, key=key)

    def breach(self, ref: str, deadline: str) -> None:
        dl = self.s.reviews.state(ref).deadlines[deadline]
        self.clock.at(dl.due_at)
        key = f"review-{ref}/breach/{deadline}/{dl.due_on.isoformat()}"
        self.s.reviews.record_breach(ref, deadline, key=key, at=dl.due_at)

    def to_rapid_review(self, ref: str, aware: date, **report: Any) -> date:
        """Reported, Panel notified, partners informed, threshold met: the rapid review day."""
        self.report(ref, aware, **report)
        self.step(
            ref,
            "record_panel_notification",
            aware + timedelta(days=2),
            notified_on=aware + timedelta(days=2),
        )
        self.step(
            ref,
            "record_partners_informed",
            aware + timedelta(days=3),
            informed_on=aware + timedelta(days=3),
        )
        t = aware + timedelta(days=7)
        self.step(
            ref,
            "record_threshold_decision",
            t,
            met=True,
            decided_on=t,
            rationale="criteria met: serious harm, neglect suspected",
        )
        return t

    def to_panel(self, ref: str, aware: date, decision: str, **report: Any) -> date:
        """On to the rapid review report (one agency asked and heard): the day it went."""
        t = self.to_rapid_review(ref, aware, **report)
        self.step(
            ref,
            "request_agency_summaries",
            t,
            requested_on=t,
            requests=[{"agency": "POLICE", "due_on": _working(t + timedelta(days=7))}],
        )
        self.step(
            ref,
            "record_agency_summary",
            t + timedelta(days=3),
            agency="POLICE",
            received_on=t + timedelta(days=3),
        )
        m = t + timedelta(days=8)
        self.step(
            ref, "record_rapid_review_meeting", m, held_on=m, agencies_present=["LA", "POLICE"]
        )
        self.step(
            ref,
            "record_rapid_review_decision",
            m,
            decision=decision,
            decided_on=m,
            rationale="learning about multi-agency information sharing",
        )
        self.step(
            ref,
            "submit_rapid_review_report",
            m + timedelta(days=1),
            submitted_on=m + timedelta(days=1),
        )
        return m + timedelta(days=1)

    def to_lcspr(self, ref: str, aware: date, **report: Any) -> date:
        """On to an LCSPR under way (the Panel agreed): the day it started."""
        s = self.to_panel(ref, aware, "lcspr", **report)
        p = s + timedelta(days=7)
        self.step(ref, "record_panel_response", p, response="agrees", received_on=p)
        return p

    # quality assurance ----------------------------------------------------

    def plan_audit(
        self,
        ref: str,
        planned: date,
        *,
        partnership: str = "GSCP",
        kind: str = "practice_evaluation",
        agencies: tuple[str, ...] = ("LA", "ICB"),
        sample: int = 3,
    ) -> None:
        self.clock.begin()
        self.clock.at(planned)
        command = PlanAudit.model_validate(
            {
                "actor": STAFF,
                "audit_ref": ref,
                "partnership": partnership,
                "kind": kind,
                "theme": "CP and CiN 11-18",
                "period_start": planned - timedelta(days=120),
                "period_end": planned - timedelta(days=30),
                "sample_size": sample,
                "lead": "Head of Quality",
                "agencies": list(agencies),
            }
        )
        self.s.quality.plan_audit(command, key=f"audit-{ref}/planned", today=planned)

    def audit_step(self, ref: str, name: str, today: date, **fields: Any) -> Any:
        self.clock.at(today)
        command = AUDIT_COMMANDS[name].model_validate({"actor": QA_LEAD, **fields})
        key = self._key(f"audit-{ref}", name, today)
        return self.s.quality.record_audit_step(ref, name, command, key=key, today=today)

    def open_plan(
        self,
        ref: str,
        source_ref: str,
        opened: date,
        actions: list[dict[str, Any]],
        *,
        partnership: str = "GSCP",
    ) -> None:
        self.clock.begin()
        self.clock.at(opened)
        command = OpenActionPlan.model_validate(
            {
                "actor": STAFF,
                "plan_ref": ref,
                "partnership": partnership,
                "source": "audit",
                "source_ref": source_ref,
                "opened_on": opened,
                "actions": actions,
            }
        )
        self.s.quality.open_action_plan(command, key=f"actionplan-{ref}/opened", today=opened)

    def open_plan_from_review(self, case_ref: str, opened: date, due: date) -> str:
        self.clock.begin()
        self.clock.at(opened)
        command = OpenPlanFromReview.model_validate(
            {
                "actor": STAFF,
                "case_ref": case_ref,
                "opened_on": opened,
                "due_on": due,
                "success_measure": "Dip audit shows the change in 9 of 10 files",
            }
        )
        ref = f"{case_ref}-AP"
        self.s.quality.open_plan_from_review(command, key=f"actionplan-{ref}/opened", today=opened)
        return ref

    def plan_step(self, ref: str, name: str, today: date, **fields: Any) -> Any:
        self.clock.at(today)
        command = ACTION_PLAN_COMMANDS[name].model_validate({"actor": STAFF, **fields})
        key = self._key(f"actionplan-{ref}", name, today)
        return self.s.quality.record_plan_step(ref, name, command, key=key, today=today)

    def open_concern(
        self, audit_ref: str, sample_no: int, graded: date, *, partnership: str = "GSCP"
    ) -> str:
        self.clock.begin()
        self.clock.at(graded)
        ref = f"{audit_ref}-S{sample_no:02d}"
        command = OpenConcern.model_validate(
            {
                "actor": STAFF,
                "concern_ref": ref,
                "audit_ref": audit_ref,
                "sample_no": sample_no,
                "partnership": partnership,
                "graded_on": graded,
            }
        )
        self.s.quality.open_concern(command, key=f"childofconcern-{ref}/opened", today=graded)
        return ref

    def concern_step(self, ref: str, name: str, today: date, **fields: Any) -> Any:
        self.clock.at(today)
        command = CONCERN_COMMANDS[name].model_validate({"actor": STAFF, **fields})
        key = self._key(f"childofconcern-{ref}", name, today)
        return self.s.quality.record_concern_step(ref, name, command, key=key, today=today)

    def qa_remind(self, kind: Any, ref: str, clock: str, index: int) -> None:
        c = self.s.quality.state(kind, ref).clocks[clock]
        at = c.reminders[index]
        self.clock.at(at)
        key = f"{kind}-{ref}/remind/{clock}/{c.due_on.isoformat()}/{index}"
        self.s.quality.send_reminder(kind, ref, clock, index, key=key, at=at)

    def qa_escalate(self, kind: Any, ref: str, clock: str, index: int) -> None:
        c = self.s.quality.state(kind, ref).clocks[clock]
        at = c.escalations[index].at
        self.clock.at(at)
        key = f"{kind}-{ref}/escalate/{clock}/{c.due_on.isoformat()}/{index}"
        self.s.quality.escalate(kind, ref, clock, index, key=key, at=at)

    def audit_to(
        self, ref: str, planned: date, stage: str, *, findings: list[str] | None = None, **plan: Any
    ) -> date:
        """An audit from planning to ``stage`` (sampled .. reported), returns on time.

        ``findings``: the overall grade of each sampled case, in sample order.
        Returns the last day recorded."""
        sample = [f"C-{n}" for n in range(7001, 7001 + int(plan.get("sample", 3)))]
        agencies = plan.get("agencies", ("LA", "ICB"))
        self.plan_audit(ref, planned, **plan)
        day = planned
        if stage == "planned":
            return day
        self.audit_step(ref, "draw_audit_sample", day, drawn_on=day, case_refs=sample)
        if stage == "sampled":
            return day
        asked = day + timedelta(days=1)
        due = _working(asked + timedelta(days=14))
        self.audit_step(
            ref,
            "request_audit_returns",
            asked,
            requested_on=asked,
            requests=[{"agency": a, "due_on": due} for a in agencies],
        )
        if stage == "returns":
            return asked
        day = asked + timedelta(days=7)
        for a in agencies:
            self.audit_step(ref, "record_audit_return", day, agency=a, received_on=day)
        day = _working(day + timedelta(days=14))
        self.audit_step(
            ref,
            "record_audit_moderation",
            day,
            held_on=day,
            moderators=["QA lead", "LA auditor"],
            grades_changed=1,
        )
        if stage == "moderated":
            return day
        grades = findings or ["good"] * len(sample)
        self.audit_step(
            ref,
            "record_audit_findings",
            day,
            recorded_on=day,
            findings=[
                {"case_ref": c, "overall": g, "standards": {"01": g}}
                for c, g in zip(sample, grades, strict=True)
            ],
        )
        if stage == "graded":
            return day
        self.audit_step(
            ref, "record_audit_report", day, reported_on=day, recipients=["QiiP subgroup"]
        )
        if stage == "reported":
            return day
        self.audit_step(
            ref, "record_learning_briefing", day, issued_on=day, recipients=["all agencies"]
        )
        return day


def _working(day: date) -> date:
    from domain.qa_clock import next_working_day
    from qa_engine.calendar import england_and_wales

    return next_working_day(england_and_wales(), day)


def action(agency: str, due: date, text: str) -> dict[str, Any]:
    return {
        "owner_agency": agency,
        "text": text,
        "due_on": _working(due).isoformat(),
        "success_measure": "Re-audit shows the change in 9 of 10 files",
    }


# ----------------------------------------------------------------- the records


def write_reviews(w: Writer) -> None:
    # just reported
    w.report("GSCP-2025-R01", d("2025-11-03"))
    # Panel notified (within 5 working days), partners not yet informed
    w.report("GSCP-2025-R02", d("2025-10-06"))
    w.step("GSCP-2025-R02", "record_panel_notification", d("2025-10-08"), notified_on="2025-10-08")

    # threshold not met: a non-statutory case-based review
    ref = "GSCP-2025-R03"
    w.report(ref, d("2025-02-03"))
    w.step(ref, "record_panel_notification", d("2025-02-05"), notified_on="2025-02-05")
    w.step(
        ref,
        "record_threshold_decision",
        d("2025-02-10"),
        met=False,
        decided_on="2025-02-10",
        rationale="harm not attributable to abuse or neglect",
        outcome_if_not_met="case_based_review",
    )
    # threshold not met: closed with reasons
    ref = "GSCP-2025-R04"
    w.report(ref, d("2025-02-10"))
    w.step(ref, "record_panel_notification", d("2025-02-11"), notified_on="2025-02-11")
    w.step(ref, "record_partners_informed", d("2025-02-13"), informed_on="2025-02-13")
    w.step(
        ref,
        "record_threshold_decision",
        d("2025-02-17"),
        met=False,
        decided_on="2025-02-17",
        rationale="the incident does not meet the serious incident criteria",
        outcome_if_not_met="close",
    )

    # the death of a looked-after child: Secretary of State and Ofsted only
    ref = "GSCP-2025-R05"
    w.report(ref, d("2025-03-03"), abuse_or_neglect=False, looked_after=True, harm="died")
    w.step(ref, "record_sos_ofsted_notification", d("2025-03-04"), notified_on="2025-03-04")

    # rapid review: two agency summaries asked, one received
    ref = "GSCP-2025-R06"
    t = w.to_rapid_review(ref, d("2025-09-01"))
    w.step(
        ref,
        "request_agency_summaries",
        t,
        requested_on=t,
        requests=[
            {"agency": "POLICE", "due_on": "2025-09-15"},
            {"agency": "ICB", "due_on": "2025-09-17"},
        ],
    )
    w.step(ref, "record_agency_summary", d("2025-09-12"), agency="POLICE", received_on="2025-09-12")

    # decided LCSPR; report (with immediate recommendations) with the Panel
    ref = "GSCP-2025-R07"
    t = w.to_rapid_review(ref, d("2025-06-02"))
    w.step(
        ref,
        "request_agency_summaries",
        t,
        requested_on=t,
        requests=[{"agency": "POLICE", "due_on": "2025-06-16"}],
    )
    w.step(ref, "record_agency_summary", d("2025-06-13"), agency="POLICE", received_on="2025-06-13")
    w.step(
        ref,
        "record_rapid_review_meeting",
        d("2025-06-17"),
        held_on="2025-06-17",
        agencies_present=["LA", "POLICE", "ICB"],
    )
    w.step(
        ref,
        "record_rapid_review_decision",
        d("2025-06-17"),
        decision="lcspr",
        decided_on="2025-06-17",
        rationale="systemic learning about neglect",
    )
    w.step(
        ref,
        "submit_rapid_review_report",
        d("2025-06-19"),
        submitted_on="2025-06-19",
        recommendations=[
            {"owner_agency": "LA", "text": "Share strategy discussion notes within one day"}
        ],
    )

    # the Panel challenged a no-further-review decision: back to the rapid review
    ref = "GSCP-2025-R08"
    s = w.to_panel(ref, d("2025-07-07"), "no_further_review")
    w.step(
        ref,
        "record_panel_response",
        s + timedelta(days=6),
        response="challenges",
        received_on=s + timedelta(days=6),
        notes="Panel sees multi-agency learning; consider an LCSPR",
    )

    # LCSPR whose clock was paused for an inquest and resumed
    ref = "GSCP-2025-R09"
    p = w.to_lcspr(ref, d("2025-04-07"))
    w.step(
        ref,
        "appoint_reviewer",
        p + timedelta(days=7),
        reviewer="Dr Sam Reviewer",
        appointed_on=p + timedelta(days=7),
    )
    w.step(
        ref,
        "agree_terms_of_reference",
        p + timedelta(days=14),
        agreed_on=p + timedelta(days=14),
        lines_of_enquiry=["information sharing between agencies"],
    )
    w.step(
        ref,
        "record_bodies_informed",
        p + timedelta(days=14),
        informed_on=p + timedelta(days=14),
        bodies=["panel", "ofsted", "dfe"],
    )
    w.step(
        ref,
        "record_progress_checkpoint",
        p + timedelta(days=40),
        held_on=p + timedelta(days=40),
        status="at_risk",
        note="health records late",
    )
    w.step(
        ref,
        "pause_clock",
        p + timedelta(days=50),
        paused_on=p + timedelta(days=50),
        reason="inquest",
        detail="awaiting the coroner's inquest",
    )
    w.step(
        ref,
        "resume_clock",
        p + timedelta(days=78),
        resumed_on=p + timedelta(days=78),
        note="inquest concluded",
    )
    w.clock.at(p + timedelta(days=80))
    w.s.reviews.record_history_read(ref, actor=SCRUTINEER, purpose="scrutiny of timeliness")

    # LCSPR paused for criminal proceedings, still paused
    ref = "GSCP-2025-R10"
    p = w.to_lcspr(ref, d("2025-05-06"))
    w.step(
        ref,
        "appoint_reviewer",
        p + timedelta(days=10),
        reviewer="Independent reviewer",
        appointed_on=p + timedelta(days=10),
    )
    w.step(
        ref,
        "pause_clock",
        p + timedelta(days=20),
        paused_on=p + timedelta(days=20),
        reason="criminal_proceedings",
        detail="trial listed for the spring",
    )

    # both notification clocks reminded and breached; the Panel notified late
    ref = "GSCP-2025-R11"
    w.report(ref, d("2025-08-04"))
    for deadline in ("panel_notification", "partners_informed"):
        w.remind(ref, deadline)
    for deadline in ("panel_notification", "partners_informed"):
        w.breach(ref, deadline)
    w.step(ref, "record_panel_notification", d("2025-08-14"), notified_on="2025-08-14")

    # the whole path: published, recommendations recorded, read by an inspector
    ref = "GSCP-2025-R12"
    p = w.to_lcspr(ref, d("2025-01-06"))
    w.step(
        ref,
        "appoint_reviewer",
        p + timedelta(days=7),
        reviewer="Dr Sam Reviewer",
        appointed_on=p + timedelta(days=7),
    )
    w.step(
        ref,
        "agree_terms_of_reference",
        p + timedelta(days=14),
        agreed_on=p + timedelta(days=14),
        lines_of_enquiry=["information sharing between agencies"],
    )
    w.step(
        ref,
        "record_bodies_informed",
        p + timedelta(days=14),
        informed_on=p + timedelta(days=14),
        bodies=["panel", "ofsted", "dfe"],
    )
    w.step(
        ref,
        "record_progress_checkpoint",
        p + timedelta(days=40),
        held_on=p + timedelta(days=40),
        status="on_track",
    )
    f = p + timedelta(days=120)
    w.step(ref, "record_final_report", f, completed_on=f)
    w.step(ref, "plan_publication", f, planned_on=f + timedelta(days=30))
    w.step(
        ref,
        "record_report_sent",
        f + timedelta(days=2),
        sent_on=f + timedelta(days=2),
        recipients=["panel", "secretary_of_state"],
    )
    w.step(ref, "record_publication", f + timedelta(days=30), published_on=f + timedelta(days=30))
    w.step(
        ref,
        "record_recommendations",
        f + timedelta(days=31),
        recorded_on=f + timedelta(days=31),
        recommendations=[
            {"owner_agency": "POLICE", "text": "Share strategy discussion notes within one day"},
            {"owner_agency": "ICB", "text": "GP attendance at child protection conferences"},
        ],
    )
    read_at = datetime.combine(f + timedelta(days=40), time(11), tzinfo=LONDON)
    w.clock.at(read_at)
    w.s.reviews.read_history(ref, actor=INSPECTOR, as_at=read_at, purpose="inspection")

    # publication declined (it would identify a sibling); recommendations recorded
    ref = "GSCP-2025-R13"
    p = w.to_lcspr(ref, d("2025-03-10"))
    w.step(
        ref,
        "appoint_reviewer",
        p + timedelta(days=7),
        reviewer="Independent reviewer",
        appointed_on=p + timedelta(days=7),
    )
    w.step(
        ref,
        "agree_terms_of_reference",
        p + timedelta(days=10),
        agreed_on=p + timedelta(days=10),
        lines_of_enquiry=["early help"],
    )
    f = p + timedelta(days=100)
    w.step(ref, "record_final_report", f, completed_on=f)
    w.step(
        ref,
        "record_decision_not_to_publish",
        f + timedelta(days=5),
        decided_on=f + timedelta(days=5),
        reasons="publication would identify the sibling",
        improvements_published=True,
    )
    w.step(
        ref,
        "record_recommendations",
        f + timedelta(days=6),
        recorded_on=f + timedelta(days=6),
        recommendations=[{"owner_agency": "ICB", "text": "Train GPs to recognise neglect"}],
    )

    # final report done, publication planned, report sent: awaiting publication
    ref = "GSCP-2025-R14"
    p = w.to_lcspr(ref, d("2025-06-09"))
    w.step(
        ref,
        "appoint_reviewer",
        p + timedelta(days=7),
        reviewer="Dr Sam Reviewer",
        appointed_on=p + timedelta(days=7),
    )
    w.step(
        ref,
        "agree_terms_of_reference",
        p + timedelta(days=14),
        agreed_on=p + timedelta(days=14),
        lines_of_enquiry=["neglect in adolescence"],
    )
    f = p + timedelta(days=90)
    w.step(ref, "record_final_report", f, completed_on=f)
    w.step(ref, "plan_publication", f, planned_on=f + timedelta(days=60))
    w.step(
        ref,
        "record_report_sent",
        f + timedelta(days=5),
        sent_on=f + timedelta(days=5),
        recipients=["panel", "secretary_of_state"],
    )

    # a second partnership: one just reported, one at its rapid review, and the
    # death of a looked-after child not yet notified to the Secretary of State
    w.report("WSCP-2025-R01", d("2025-11-10"), partnership="WSCP")
    w.to_rapid_review("WSCP-2025-R02", d("2025-10-13"), partnership="WSCP")
    w.report(
        "WSCP-2025-R03",
        d("2025-11-17"),
        partnership="WSCP",
        abuse_or_neglect=False,
        looked_after=True,
        harm="died",
    )


def write_quality(w: Writer) -> None:
    gscp = "GSCP-AUD-25"
    # planned / sampled / returns asked (one in, one chased)
    w.audit_to(f"{gscp}-01", d("2025-11-03"), "planned")
    w.audit_to(f"{gscp}-02", d("2025-10-01"), "sampled")
    ref = f"{gscp}-03"
    w.audit_to(ref, d("2025-09-01"), "returns")
    w.audit_step(ref, "record_audit_return", d("2025-09-05"), agency="LA", received_on="2025-09-05")
    w.qa_remind("audit", ref, "return:ICB", 0)

    # an overdue return: chased twice, escalated to the audit lead, then the QA chair
    ref = f"{gscp}-04"
    w.plan_audit(ref, d("2025-03-03"))
    w.audit_step(
        ref,
        "draw_audit_sample",
        d("2025-03-03"),
        drawn_on="2025-03-03",
        case_refs=["C-501", "C-502", "C-503"],
    )
    w.audit_step(
        ref,
        "request_audit_returns",
        d("2025-03-04"),
        requested_on="2025-03-04",
        requests=[
            {"agency": "LA", "due_on": "2025-03-14"},
            {"agency": "ICB", "due_on": "2025-03-21"},
        ],
    )
    w.qa_remind("audit", ref, "return:LA", 0)
    w.qa_remind("audit", ref, "return:LA", 1)
    w.qa_escalate("audit", ref, "return:LA", 0)
    w.audit_step(
        ref, "record_audit_return", d("2025-03-20"), agency="ICB", received_on="2025-03-20"
    )
    w.qa_escalate("audit", ref, "return:LA", 1)

    # moderated; graded (case 2 Inadequate: a child of concern, just opened)
    w.audit_to(f"{gscp}-05", d("2025-08-04"), "moderated")
    ref = f"{gscp}-06"
    graded = w.audit_to(
        ref, d("2025-07-01"), "graded", findings=["good", "inadequate", "requires_improvement"]
    )
    w.open_concern(ref, 2, graded)

    # reported, briefing issued; its child of concern missed reviews (escalated)
    ref = f"{gscp}-07"
    graded = w.audit_to(
        ref, d("2025-05-01"), "briefed", findings=["requires_improvement", "inadequate", "good"]
    )
    concern = w.open_concern(ref, 2, graded)
    w.qa_remind("childofconcern", concern, "gm_review", 0)
    w.qa_escalate("childofconcern", concern, "gm_review", 0)  # the Group Manager was late
    gm_due = w.s.quality.state("childofconcern", concern).clocks["gm_review"].due_on
    gm_day = _working(gm_due + timedelta(days=1))  # late: after the escalation
    w.concern_step(
        concern,
        "record_group_manager_review",
        gm_day,
        reviewed_on=gm_day,
        safety_action_taken=True,
        note="strategy discussion held",
    )
    w.qa_remind("childofconcern", concern, "ad_review:1", 0)
    w.qa_escalate("childofconcern", concern, "ad_review:1", 0)  # a missed weekly review
    ad2 = w.s.quality.state("childofconcern", concern).clocks["ad_review:2"].due_on
    w.concern_step(
        concern,
        "record_assistant_director_review",
        ad2,
        reviewed_on=ad2,
        assured=False,
        note="plan not yet agreed with health",
    )

    # closed with an action plan (overdue action escalated twice); its concern assured
    ref = f"{gscp}-08"
    graded = w.audit_to(ref, d("2025-03-10"), "briefed", findings=["inadequate", "good", "good"])
    w.audit_step(
        ref,
        "raise_action_plan",
        graded,
        raised_on=graded,
        actions=[
            action("LA", graded + timedelta(days=60), "Refresh supervision guidance"),
            action("ICB", graded + timedelta(days=40), "Health attendance at strategy discussions"),
        ],
    )
    _plan_from_audit(w, ref, graded)
    plan = f"{ref}-AP"
    w.plan_step(
        plan,
        "record_action_progress",
        graded + timedelta(days=14),
        action_id="A1",
        reported_on=graded + timedelta(days=14),
        status="at_risk",
        note="guidance redraft waits for legal advice",
    )
    w.qa_remind("actionplan", plan, "action:A2", 0)
    w.qa_remind("actionplan", plan, "action:A2", 1)
    w.qa_escalate("actionplan", plan, "action:A2", 0)  # the QA subgroup chair
    w.qa_escalate("actionplan", plan, "action:A2", 1)  # then the partnership executive
    a1_done = _working(graded + timedelta(days=58))
    w.plan_step(
        plan,
        "record_action_evidence",
        a1_done,
        action_id="A1",
        received_on=a1_done,
        evidence="guidance reissued",
    )
    w.plan_step(plan, "complete_action", a1_done, action_id="A1", completed_on=a1_done)
    concern = w.open_concern(ref, 1, graded)
    w.concern_step(
        concern, "record_group_manager_review", graded, reviewed_on=graded, safety_action_taken=True
    )
    ad1 = w.s.quality.state("childofconcern", concern).clocks["ad_review:1"].due_on
    w.concern_step(
        concern,
        "record_assistant_director_review",
        ad1,
        reviewed_on=ad1,
        assured=False,
        note="plan not yet agreed with health",
    )
    ad2 = w.s.quality.state("childofconcern", concern).clocks["ad_review:2"].due_on
    w.concern_step(
        concern,
        "record_assistant_director_review",
        ad2,
        reviewed_on=ad2,
        assured=True,
        note="child protection plan agreed by all agencies",
    )

    # closed without an action plan (all good); read by a scrutineer
    ref = f"{gscp}-09"
    day = w.audit_to(ref, d("2025-02-03"), "briefed", kind="case_file")
    w.audit_step(
        ref, "close_audit", day, closed_on=day, reason="practice good throughout; no actions needed"
    )
    w.clock.at(day + timedelta(days=10))
    w.s.quality.read_history("audit", ref, actor=SCRUTINEER, purpose="annual assurance report")

    # closed with a plan whose impact check found practice not improved: round 2
    ref = f"{gscp}-10"
    day = w.audit_to(ref, d("2025-01-13"), "briefed", kind="dip")
    w.audit_step(
        ref,
        "raise_action_plan",
        day,
        raised_on=day,
        actions=[
            action("LA", day + timedelta(days=30), "Monthly supervision audit"),
            action(
                "POLICE", day + timedelta(days=45), "Strategy discussion within one working day"
            ),
        ],
    )
    _plan_from_audit(w, ref, day)
    plan = f"{ref}-AP"
    for action_id, done in (("A1", day + timedelta(days=25)), ("A2", day + timedelta(days=40))):
        done = _working(done)
        w.plan_step(
            plan,
            "record_action_evidence",
            done,
            action_id=action_id,
            received_on=done,
            evidence="minutes and attendance log",
        )
        state = w.plan_step(plan, "complete_action", done, action_id=action_id, completed_on=done)
    checked = _working(state.impact_from + timedelta(days=3))
    w.plan_step(
        plan,
        "record_impact_check",
        checked,
        checked_on=checked,
        method="re_audit",
        result="not_improved",
        measure="re-audit: supervision recorded monthly in 60% of cases",
        new_actions=[
            action("LA", checked + timedelta(days=60), "Team managers check supervision monthly")
        ],
    )
    w.plan_step(
        plan,
        "record_action_progress",
        checked + timedelta(days=14),
        action_id="A3",
        reported_on=checked + timedelta(days=14),
        status="on_track",
    )

    # closed with a plan whose actions are all done: awaiting its impact check
    ref = f"{gscp}-11"
    day = w.audit_to(
        ref,
        d("2025-06-02"),
        "briefed",
        kind="multi_agency_thematic",
        findings=["good", "requires_improvement", "good"],
    )
    w.audit_step(
        ref,
        "raise_action_plan",
        day,
        raised_on=day,
        actions=[
            action("EDUCATION", day + timedelta(days=30), "Designated safeguarding lead training")
        ],
    )
    _plan_from_audit(w, ref, day)
    done = _working(day + timedelta(days=28))
    w.plan_step(
        f"{ref}-AP",
        "record_action_evidence",
        done,
        action_id="A1",
        received_on=done,
        evidence="training register",
    )
    w.plan_step(f"{ref}-AP", "complete_action", done, action_id="A1", completed_on=done)

    # plans opened from review recommendations: one under way, one closed (improved)
    w.open_plan_from_review("GSCP-2025-R12", d("2025-07-01"), d("2025-09-30"))
    plan = w.open_plan_from_review("GSCP-2025-R13", d("2025-07-14"), d("2025-08-29"))
    w.plan_step(
        plan,
        "record_action_evidence",
        d("2025-08-20"),
        action_id="A1",
        received_on="2025-08-20",
        evidence="GP training attendance list",
    )
    state = w.plan_step(
        plan, "complete_action", d("2025-08-20"), action_id="A1", completed_on="2025-08-20"
    )
    checked = _working(state.impact_from + timedelta(days=1))
    w.plan_step(
        plan,
        "record_impact_check",
        checked,
        checked_on=checked,
        method="re_measure",
        result="improved",
        measure="neglect referrals from GPs up by a third",
    )

    # a second partnership: an audit sampled
    w.audit_to(
        "WSCP-AUD-25-01",
        d("2025-10-06"),
        "sampled",
        partnership="WSCP",
        kind="dip",
        agencies=("LA", "POLICE"),
    )


def _plan_from_audit(w: Writer, audit_ref: str, raised: date) -> None:
    """What the audit workflow's child does after ``raise_action_plan``: open the plan."""
    history = w.s.quality.history("audit", audit_ref)
    actions = history[-1].data["command"]["actions"]
    partnership = w.s.quality.state("audit", audit_ref).partnership
    w.open_plan(f"{audit_ref}-AP", audit_ref, raised, actions, partnership=partnership)


# ------------------------------------------------------------------ the store


def write_store(path: Path, *, cipher_key: str | None) -> dict[str, Any]:
    """Write one store at ``path`` (replacing it); return its manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "events.sqlite3"
        settings = Settings(
            data_dir=Path(tmp),
            store="sqlite",
            sqlite_path=work,
            cipher_key=SecretStr(cipher_key) if cipher_key else None,
        )
        services = bootstrap(settings)
        clock = PinnedClock()
        try:
            with pinned(clock):
                w = Writer(services, clock)
                write_reviews(w)
                write_quality(w)
            # the projections' own bookkeeping time, pinned too
            with patch.object(projections.runner, "_now", lambda: PROJECTED_AT):
                runner = build_runner(services.quality)
                runner.catch_up()
            manifest = describe(services, runner)
        finally:
            services.close()
        with sqlite3.connect(work) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        with sqlite3.connect(work) as conn:
            conn.execute("VACUUM")
        conn.close()
        path.unlink(missing_ok=True)
        shutil.copyfile(work, path)
    return manifest


def describe(services: Services, runner: Any) -> dict[str, Any]:
    """What a later release must find in the store."""
    records: list[dict[str, Any]] = []
    for result in services.reviews.verify_all():
        assert result.ok, result
        ref = result.case_ref
        state = services.reviews.state(ref)
        oid = review_id(ref)
        records.append(
            {
                "kind": "review",
                "ref": ref,
                "partnership": state.partnership,
                "aggregate_id": str(oid),
                "events": len(services.reviews.recorder.select_events(oid)),
                "stage": state.stage.value,
                "outcome": state.outcome,
                "open_clocks": sorted(k for k, v in state.deadlines.items() if v.status == "open"),
                "paused_clocks": sorted(k for k, v in state.deadlines.items() if v.paused_on),
                "breached_clocks": sorted(k for k, v in state.deadlines.items() if v.breached),
                "event_names": [e.event for e in services.reviews.history(ref)],
            }
        )
    for kind, result in services.quality.verify_all():
        assert result.ok, result
        ref = result.case_ref
        qa: Any = services.quality.state(kind, ref)  # type: ignore[arg-type]
        oid = record_id(kind, ref)
        records.append(
            {
                "kind": kind,
                "ref": ref,
                "partnership": qa.partnership,
                "aggregate_id": str(oid),
                "events": len(services.quality.recorder.select_events(oid)),
                "stage": str(qa.stage),
                "outcome": qa.outcome,
                "open_clocks": sorted(k for k, v in qa.clocks.items() if v.status == "open"),
                "paused_clocks": [],
                "breached_clocks": sorted(
                    k for k, v in qa.clocks.items() if v.escalations_sent or v.late
                ),
                "event_names": [e.event for e in services.quality.history(kind, ref)],
            }
        )
    records.sort(key=lambda r: (r["kind"], r["ref"]))
    topics: dict[str, int] = {}
    total = 0
    start = 0
    while batch := services.reviews.recorder.select_notifications(
        start=start, limit=500, inclusive_of_start=False
    ):
        for n in batch:
            topics[n.topic] = topics.get(n.topic, 0) + 1
        total += len(batch)
        start = batch[-1].id
    return {
        "records": records,
        "notifications": total,
        "topics": dict(sorted(topics.items())),
        "projections": projection_rows(runner),
    }


def projection_rows(runner: Any) -> dict[str, Any]:
    """The read-model rows: oversight and timeliness in full, the audit trail as counts."""
    with runner.db.read() as cur:
        oversight = cur.execute("SELECT * FROM {oversight} ORDER BY kind, ref").fetchall()
        timeliness = cur.execute(
            "SELECT * FROM {timeliness_clocks} ORDER BY kind, ref, measure"
        ).fetchall()
        trail = cur.execute(
            "SELECT kind, ref, COUNT(*) AS n FROM {audit_trail} GROUP BY kind, ref "
            "ORDER BY kind, ref"
        ).fetchall()
    return {
        "oversight": oversight,
        "timeliness": timeliness,
        "trail_counts": {f"{r['kind']}:{r['ref']}": int(r["n"]) for r in trail},
    }


def main() -> None:
    plain = write_store(STORE, cipher_key=None)
    encrypted = write_store(CIPHER_STORE, cipher_key=LEGACY_CIPHER_KEY)
    if plain != encrypted:  # the same facts, only encrypted at rest
        raise AssertionError("the two stores describe different records")
    manifest: dict[str, Any] = {
        "about": (
            "Written by tests/legacy/make_v1_store.py at commit "
            f"{COMMIT}; checked by tests/test_legacy_store.py. Never regenerate."
        ),
        "commit": COMMIT,
        "stores": {
            STORE.name: {"cipher": None},
            CIPHER_STORE.name: {"cipher": "tests/legacy/keys.py LEGACY_CIPHER_KEY (test-only)"},
        },
        "packages": _versions(),
        **plain,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=False) + "\n")
    for path in (STORE, CIPHER_STORE, MANIFEST):
        print(f"{path.relative_to(HERE.parent.parent)}: {path.stat().st_size:,} bytes")
    print(f"{len(plain['records'])} records, {plain['notifications']} events")


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("eventsourcing", "pydantic", "temporalio", "orjson")}


if __name__ == "__main__":
    main()
