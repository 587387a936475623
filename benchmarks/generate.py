"""National-scale data set generator: N partnerships x Y years of reviews, audits, action
plans and children of concern, written through the project's own write path.

    .venv/bin/python benchmarks/generate.py --partnerships 4 --years 2          # SQLite, dropped
    .venv/bin/python benchmarks/generate.py --store postgres --events 500000    # PostgreSQL
    .venv/bin/python benchmarks/generate.py --partnerships 130 --years 10 --store postgres --keep

Every record is built by its aggregate (the same checks, planned deadlines and clocks,
hash chain and ledger seal as a step through the services): a report or an opening
command, then its steps in date order, with the reminders, breaches and escalations
the workflows' timers would have recorded in between. The write path's bulk form is
used: a record's events are saved together, and ``--chunk`` records share one
transaction (``Application.save(*aggregates)``), as a catch-up import would.

Records are dated over ``--years`` years ending ``--as-at`` (default 2025-12-31, never
the wall clock); a step dated after it is not recorded, so the youngest records are
still open, as in a live deployment. Deterministic for a given ``--seed``.

Not part of the test suite (``tests/test_benchmark_smoke.py`` runs it on a tiny size).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.stores import pg_size, store  # noqa: E402
from domain.action_plan import (  # noqa: E402
    ACTION_PLAN_COMMANDS,
    OpenActionPlan,
    plan_action_plan_clocks,
    plan_opening_clocks,
)
from domain.action_plan.aggregate import ActionPlan  # noqa: E402
from domain.audit import AUDIT_COMMANDS, PlanAudit, action_plan_ref, plan_audit_clocks  # noqa: E402
from domain.audit.aggregate import Audit  # noqa: E402
from domain.calendar import LONDON, WorkingDayCalendar  # noqa: E402
from domain.child_of_concern import (  # noqa: E402
    CONCERN_COMMANDS,
    OpenConcern,
    plan_concern_clocks,
    plan_opening_concern_clocks,
)
from domain.child_of_concern.aggregate import ChildOfConcern  # noqa: E402
from domain.qa import Clock  # noqa: E402
from domain.qa.record import QaRecord  # noqa: E402
from domain.review import COMMANDS, ReportIncident, plan_deadlines, plan_report_deadlines  # noqa: E402
from domain.review.aggregate import ReviewCase  # noqa: E402
from domain.rules import rule_set  # noqa: E402
from qa_engine.bootstrap import Services, bootstrap  # noqa: E402
from qa_engine.due_days import check_agreed_due_days  # noqa: E402

__all__ = ["Generator", "Volumes", "generate", "partnership_codes"]

AGENCIES = ["LA", "POLICE", "ICB", "EDUCATION", "PROBATION"]
AUDIT_KINDS = [
    "dip",
    "multi_agency_thematic",
    "case_file",
    "practice_evaluation",
    "mash",
    "early_help",
    "section_11",
]


@dataclass(frozen=True)
class Volumes:
    """Records opened per partnership per year. The defaults size a deployment as issue 12
    does: 130 partnerships x 10 years is about 5 million events (audits include each
    cycle of the recurring dip-sample and case-file programmes)."""

    reviews: int = 20
    audits: int = 160
    #: share of audits whose findings raise an action plan (the rest close without)
    plan_share: float = 0.6


@dataclass
class Stats:
    records: int = 0
    events: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, events: int) -> None:
        self.records += 1
        self.events += events
        self.by_kind[kind] = self.by_kind.get(kind, 0) + events


def partnership_codes(n: int) -> list[str]:
    """``PAAA``, ``PAAB``, ... (codes are letters only; data, not personal)."""
    abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"P{abc[i // 676 % 26]}{abc[i // 26 % 26]}{abc[i % 26]}" for i in range(n)]


def _actor(partnership: str) -> dict[str, Any]:
    return {"name": "Gen Erator", "role": "partnership business manager"}


def _nine(day: date) -> datetime:
    return datetime.combine(day, dtime(9), tzinfo=LONDON)


class Generator:
    """Builds one record at a time through its aggregate; ``as_at`` cuts the story."""

    def __init__(self, services: Services, *, as_at: date, seed: int) -> None:
        self.s = services
        self.cal: WorkingDayCalendar = services.reviews.calendar
        self.as_at = as_at
        self.rnd = random.Random(seed)

    def working(self, day: date, after: int = 0) -> date:
        """The working day ``after`` working days from ``day`` (``day`` itself if 0 and working)."""
        if after:
            return self.cal.add_working_days(day, after)
        while not self.cal.is_working_day(day):
            day += timedelta(days=1)
        return day

    # ------------------------------------------------------------------ reviews

    def review(self, partnership: str, ref: str, aware: date) -> ReviewCase | None:
        if aware > self.as_at:
            return None
        svc = self.s.reviews
        a = _actor(partnership)
        report = ReportIncident.model_validate(
            {
                "actor": a,
                "case_ref": ref,
                "partnership": partnership,
                "incident_on": aware - timedelta(days=self.rnd.randint(0, 5)),
                "aware_on": aware,
                "child_refs": [f"C-{self.rnd.randint(10000, 99999)}"],
                "abuse_or_neglect": True,
                "harm": self.rnd.choice(["seriously_harmed", "died"]),
            }
        )
        policy = svc.partnerships.policy(partnership)
        rules = rule_set(policy.rule_set)
        opened = plan_report_deadlines(report, rules, self.cal, policy.variations)
        case = ReviewCase.report(
            report,
            key=f"review-{partnership}-{ref}/report",
            rule_set=rules.label,
            variations=policy.variations,
            calendar_version=self.cal.version,
            reported_on=aware,
            opened=opened,
        )
        wf = f"review-{partnership}-{ref}"
        rnd = self.rnd

        def step(name: str, day: date, **fields: Any) -> bool:
            if day > self.as_at:
                return False
            self._review_timers(case, wf, day)
            command = COMMANDS[name].model_validate({"actor": a, **fields})
            case.state.check(command, day)
            check_agreed_due_days(command, self.cal)
            planned = plan_deadlines(case.state, command, rules, self.cal)
            case.record(command, key=f"{wf}/{name}/{case.version}", today=day, opened=planned)
            return True

        d = aware
        # The SIN discussion first (issue 8): not met closes the case un-notified.
        sin = self.working(d, 1)
        if rnd.random() < 0.35:
            step(
                "record_threshold_decision",
                sin,
                met=False,
                decided_on=sin,
                rationale="criteria not met",
                outcome_if_not_met="close",
            )
            return case
        if not step("record_threshold_decision", sin, met=True, decided_on=sin, rationale="met"):
            return case
        late = rnd.random() < 0.15  # a late Panel notification: reminded, then breached
        n = self.working(d, 7 if late else rnd.randint(1, 4))
        if not step("record_panel_notification", n, notified_on=n):
            return case
        if not step("record_partners_informed", n, informed_on=n):
            return case
        t = self.working(n, rnd.randint(1, 3))
        agencies = rnd.sample(["POLICE", "ICB", "EDUCATION"], rnd.randint(1, 3))
        due = self.working(t, 5)
        if not step(
            "request_agency_summaries",
            t,
            requested_on=t,
            requests=[{"agency": ag, "due_on": due} for ag in agencies],
        ):
            return case
        for ag in agencies:
            got = self.working(t, rnd.randint(2, 7))
            if not step("record_agency_summary", got, agency=ag, received_on=got):
                return case
        m = self.working(t, 9)
        if not step(
            "record_rapid_review_meeting", m, held_on=m, agencies_present=["LA", *agencies]
        ):
            return case
        lcspr = rnd.random() < 0.5
        decision = "lcspr" if lcspr else "no_further_review"
        if not step(
            "record_rapid_review_decision", m, decision=decision, decided_on=m, rationale="learning"
        ):
            return case
        sub = self.working(m, rnd.randint(1, 5))
        recs = [{"owner_agency": "LA", "text": "review the front door"}] if not lcspr else []
        if not step("submit_rapid_review_report", sub, submitted_on=sub, recommendations=recs):
            return case
        p = self.working(sub, rnd.randint(5, 12))
        if not step("record_panel_response", p, response="agrees", received_on=p):
            return case
        if not lcspr:
            return case
        if not step(
            "appoint_reviewer",
            p + timedelta(days=7),
            reviewer="Reviewer",
            appointed_on=p + timedelta(days=7),
        ):
            return case
        tor = p + timedelta(days=14)
        if not step("agree_terms_of_reference", tor, agreed_on=tor, lines_of_enquiry=["sharing"]):
            return case
        if not step(
            "record_bodies_informed", tor, informed_on=tor, bodies=["panel", "ofsted", "dfe"]
        ):
            return case
        for k in range(rnd.randint(1, 4)):
            h = tor + timedelta(days=42 * (k + 1))
            if not step("record_progress_checkpoint", h, held_on=h, status="on_track"):
                return case
        f = self.working(tor + timedelta(days=rnd.randint(100, 160)))
        if not step("record_final_report", f, completed_on=f):
            return case
        pub = self.working(f + timedelta(days=30))
        if not step("plan_publication", f, planned_on=pub):
            return case
        sent = self.working(f, 2)
        if not step(
            "record_report_sent", sent, sent_on=sent, recipients=["panel", "secretary_of_state"]
        ):
            return case
        if not step("record_publication", pub, published_on=pub):
            return case
        step(
            "record_recommendations",
            pub + timedelta(days=1),
            recorded_on=pub + timedelta(days=1),
            recommendations=[{"owner_agency": "POLICE", "text": "share notes within a day"}],
        )
        return case

    def _review_timers(self, case: ReviewCase, wf: str, day: date) -> None:
        """What the workflow's timers record before a step on ``day``: due reminders,
        then breaches of deadlines that ended before it."""
        start = _nine(day)
        for d in sorted(case.state.deadlines.values(), key=lambda d: d.due_at):
            if not d.is_running:
                continue
            if not d.reminded and d.remind_at is not None and d.remind_at <= start:
                case.send_reminder(d.key, key=f"{wf}/remind/{d.key}")
            if not d.breached and not d.remind_only and d.due_at <= start:
                case.record_breach(d.key, key=f"{wf}/breach/{d.key}", at=d.due_at)

    # ---------------------------------------------------------------- QA records

    def _qa_timers(self, record: QaRecord, wf: str, day: date) -> None:
        """Reminders and escalations whose instant has come before a step on ``day``
        (a missed concern review is never simulated: it opens the next one)."""
        start = _nine(day)
        for c in list(record.state.clocks.values()):
            clock: Clock = c
            while clock.status == "open" and clock.reminders_sent < len(clock.reminders):
                at = clock.reminders[clock.reminders_sent]
                if at > start:
                    break
                record.send_reminder(
                    clock.key,
                    clock.reminders_sent,
                    key=f"{wf}/r/{clock.key}/{clock.reminders_sent}",
                    at=at,
                )
                clock = record.state.clocks[clock.key]
            while (
                clock.status == "open"
                and not clock.rolls_on_miss
                and clock.escalations_sent < len(clock.escalations)
            ):
                at = clock.escalations[clock.escalations_sent].at
                if at > start:
                    break
                record.escalate(
                    clock.key,
                    clock.escalations_sent,
                    key=f"{wf}/e/{clock.key}/{clock.escalations_sent}",
                    at=at,
                    opened=[],
                )
                clock = record.state.clocks[clock.key]

    def _qa_step(
        self,
        record: QaRecord,
        wf: str,
        commands: dict[str, Any],
        plan: Callable[[Any, Any, WorkingDayCalendar], list[Clock]],
        name: str,
        day: date,
        **fields: Any,
    ) -> bool:
        if day > self.as_at:
            return False
        self._qa_timers(record, wf, day)
        command = commands[name].model_validate({"actor": _actor(""), **fields})
        record.state.check(command, day)
        check_agreed_due_days(command, self.cal)
        opened = plan(record.state, command, self.cal)
        record.record(command, key=f"{wf}/{name}/{record.version}", today=day, opened=opened)
        return True

    def audit(self, partnership: str, ref: str, day: date, with_plan: bool) -> list[QaRecord]:
        """An audit, and its action plan and children of concern when it gets that far."""
        if day > self.as_at:
            return []
        rnd = self.rnd
        qa = self.s.quality
        policy = qa.policy(partnership)
        agencies = sorted(rnd.sample(AGENCIES, rnd.randint(2, 4)))
        sample = [f"C-{rnd.randint(10000, 99999)}-{i}" for i in range(rnd.randint(3, 8))]
        kind = rnd.choice(AUDIT_KINDS)
        command = PlanAudit.model_validate(
            {
                "actor": _actor(partnership),
                "audit_ref": ref,
                "partnership": partnership,
                "kind": kind,
                "theme": f"{kind} theme",
                "period_start": day - timedelta(days=120),
                "period_end": day - timedelta(days=30),
                "sample_size": len(sample),
                "lead": "Head of Quality",
                "agencies": agencies,
            }
        )
        audit = Audit.plan(
            command,
            key=f"audit-{partnership}-{ref}/planned",
            policy=policy,
            calendar_version=self.cal.version,
            today=day,
        )
        out: list[QaRecord] = [audit]
        wf = f"audit-{partnership}-{ref}"

        def step(name: str, on: date, **fields: Any) -> bool:
            return self._qa_step(audit, wf, AUDIT_COMMANDS, plan_audit_clocks, name, on, **fields)

        if not step("draw_audit_sample", day, drawn_on=day, case_refs=sample):
            return out
        asked = self.working(day, 1)
        if not step(
            "request_audit_returns",
            asked,
            requested_on=asked,
            requests=[{"agency": ag, "due_on": self.working(asked, 10)} for ag in agencies],
        ):
            return out
        arrivals = sorted((self.working(asked, rnd.randint(4, 14)), ag) for ag in agencies)
        for got, ag in arrivals:
            if not step("record_audit_return", got, agency=ag, received_on=got):
                return out
        last = arrivals[-1][0]
        mod = self.working(last, 2)
        if not step("record_audit_moderation", mod, held_on=mod, moderators=["QA lead"]):
            return out
        grades = ["good", "requires_improvement", "outstanding", "inadequate"]
        weights = [50, 30, 10, 10 if kind == "practice_evaluation" else 0]
        findings = [{"case_ref": c, "overall": rnd.choices(grades, weights)[0]} for c in sample]
        if not step("record_audit_findings", mod, recorded_on=mod, findings=findings):
            return out
        for no, fnd in enumerate(findings, 1):
            if fnd["overall"] == "inadequate":
                out.append(self.concern(partnership, f"{ref}-S{no:02d}", ref, no, mod))
        rep = self.working(mod, 3)
        if not step("record_audit_report", rep, reported_on=rep, recipients=["QA subgroup"]):
            return out
        if not step("record_learning_briefing", rep, issued_on=rep, recipients=["all agencies"]):
            return out
        if not with_plan:
            step("close_audit", rep, closed_on=rep, reason="no actions needed")
            return out
        actions = [
            {
                "owner_agency": ag,
                "text": f"action for {ag}",
                "due_on": self.working(rep, rnd.randint(20, 80)),
                "success_measure": "re-audit",
            }
            for ag in agencies[: rnd.randint(1, len(agencies))]
        ]
        if not step("raise_action_plan", rep, raised_on=rep, actions=actions):
            return out
        out.append(self.action_plan(partnership, action_plan_ref(ref), ref, rep, actions))
        return out

    def action_plan(
        self, partnership: str, ref: str, audit_ref: str, day: date, actions: list[dict[str, Any]]
    ) -> ActionPlan:
        rnd = self.rnd
        command = OpenActionPlan.model_validate(
            {
                "actor": _actor(partnership),
                "plan_ref": ref,
                "partnership": partnership,
                "source": "audit",
                "source_ref": audit_ref,
                "opened_on": day,
                "actions": actions,
            }
        )
        policy = self.s.quality.policy(partnership)
        check_agreed_due_days(command, self.cal)
        plan = ActionPlan.open_plan(
            command,
            key=f"actionplan-{partnership}-{ref}/opened",
            policy=policy,
            calendar_version=self.cal.version,
            opened=plan_opening_clocks(command, policy, self.cal),
        )
        wf = f"actionplan-{partnership}-{ref}"

        def step(name: str, on: date, **fields: Any) -> bool:
            return self._qa_step(
                plan, wf, ACTION_PLAN_COMMANDS, plan_action_plan_clocks, name, on, **fields
            )

        done: list[tuple[date, str]] = []
        for i, a in enumerate(actions, 1):
            slip = rnd.choice([-10, -5, -2, 0, 3, 12])
            done.append((self.working(a["due_on"] + timedelta(days=slip)), f"A{i}"))
        for on, aid in sorted(done):
            mid = on - timedelta(days=14)
            if mid > day and not step(
                "record_action_progress", mid, action_id=aid, reported_on=mid, status="on_track"
            ):
                return plan
            if not step(
                "record_action_evidence", on, action_id=aid, received_on=on, evidence="minutes"
            ):
                return plan
            if not step("complete_action", on, action_id=aid, completed_on=on):
                return plan
        impact_from = plan.state.impact_from
        if impact_from is not None:
            check = self.working(impact_from, rnd.randint(1, 15))
            step(
                "record_impact_check",
                check,
                checked_on=check,
                method="re_audit",
                result="improved",
                measure="re-audit found improvement",
            )
        return plan

    def concern(
        self, partnership: str, ref: str, audit_ref: str, sample_no: int, graded: date
    ) -> ChildOfConcern:
        rnd = self.rnd
        command = OpenConcern.model_validate(
            {
                "actor": _actor(partnership),
                "concern_ref": ref,
                "audit_ref": audit_ref,
                "sample_no": sample_no,
                "partnership": partnership,
                "graded_on": graded,
            }
        )
        policy = self.s.quality.policy(partnership)
        concern = ChildOfConcern.open_concern(
            command,
            key=f"childofconcern-{partnership}-{ref}/opened",
            policy=policy,
            calendar_version=self.cal.version,
            opened=plan_opening_concern_clocks(command, policy, self.cal),
        )
        wf = f"childofconcern-{partnership}-{ref}"

        def step(name: str, on: date, **fields: Any) -> bool:
            return self._qa_step(
                concern, wf, CONCERN_COMMANDS, plan_concern_clocks, name, on, **fields
            )

        gm = self.working(graded, rnd.randint(1, 2))
        if not step("record_group_manager_review", gm, reviewed_on=gm, safety_action_taken=True):
            return concern
        on = gm
        weeks = rnd.randint(1, 4)
        for w in range(weeks):
            on = on + timedelta(days=7)
            if not step(
                "record_assistant_director_review", on, reviewed_on=on, assured=w == weeks - 1
            ):
                return concern
        return concern

    # ---------------------------------------------------------------- a year

    def partnership_year(
        self, partnership: str, year: int, volumes: Volumes
    ) -> Iterator[tuple[str, Any]]:
        """Every record a partnership opened in ``year``, as ``(kind, aggregate)``."""
        rnd = self.rnd
        for i in range(volumes.reviews):
            aware = self.working(date(year, 1, 1) + timedelta(days=rnd.randint(0, 364)))
            case = self.review(partnership, f"R{year}-{i + 1:03d}", aware)
            if case is not None:
                yield "review", case
        for i in range(volumes.audits):
            day = self.working(date(year, 1, 1) + timedelta(days=rnd.randint(0, 364)))
            with_plan = rnd.random() < volumes.plan_share
            for rec in self.audit(partnership, f"A{year}-{i + 1:03d}", day, with_plan):
                yield rec.KIND, rec


def generate(
    services: Services,
    *,
    partnerships: int,
    years: int,
    as_at: date = date(2025, 12, 31),
    volumes: Volumes = Volumes(),
    max_events: int | None = None,
    chunk: int = 50,
    seed: int = 12,
    progress: Callable[[Stats], None] | None = None,
) -> Stats:
    """Write the data set; returns what was written. Years run oldest first, partnerships
    within a year; ``max_events`` stops after the record that reaches it."""
    gen = Generator(services, as_at=as_at, seed=seed)
    app = services.reviews
    stats = Stats()
    pending: list[Any] = []

    def flush() -> None:
        if pending:
            app.save(*pending)
            pending.clear()
            if progress is not None:
                progress(stats)

    codes = partnership_codes(partnerships)
    for code in codes:  # registered once, with the deployment's defaults (recorded)
        services.reviews.partnerships.policy(code)
    for year in range(as_at.year - years + 1, as_at.year + 1):
        for code in codes:
            for kind, agg in gen.partnership_year(code, year, volumes):
                pending.append(agg)
                stats.add(kind, agg.version)
                if len(pending) >= chunk:
                    flush()
                if max_events is not None and stats.events >= max_events:
                    flush()
                    return stats
    flush()
    return stats


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--partnerships", type=int, default=130)
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--events", type=int, default=None, help="stop once this many are written")
    p.add_argument("--reviews", type=int, default=Volumes.reviews, help="per partnership-year")
    p.add_argument("--audits", type=int, default=Volumes.audits, help="per partnership-year")
    p.add_argument("--chunk", type=int, default=50, help="records per transaction")
    p.add_argument("--as-at", type=date.fromisoformat, default=date(2025, 12, 31))
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--keep", action="store_true", help="keep the store (path / database printed)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where to write (SQLite: the store; PostgreSQL: the ledger's key and anchor)",
    )
    a = p.parse_args(argv)
    volumes = Volumes(reviews=a.reviews, audits=a.audits)
    with store(a.store, keep=a.keep, data_dir=a.data_dir) as settings:
        services = bootstrap(settings)
        try:
            t0 = time.perf_counter()
            last = [t0]

            def progress(s: Stats) -> None:
                now = time.perf_counter()
                if now - last[0] >= 10:
                    last[0] = now
                    rate = s.events / (now - t0)
                    print(f"  {s.events:>10,} events  {rate:,.0f}/s", flush=True)

            stats = generate(
                services,
                partnerships=a.partnerships,
                years=a.years,
                as_at=a.as_at,
                volumes=volumes,
                max_events=a.events,
                chunk=a.chunk,
                seed=a.seed,
                progress=progress,
            )
            secs = time.perf_counter() - t0
            logged = int(services.reviews.recorder.max_notification_id() or 0)
        finally:
            services.close()
        size = settings.sqlite_file.stat().st_size if a.store == "sqlite" else pg_size(settings)
        per100k = 100_000 / max(stats.events, 1)
        print(
            f"store {a.store}: {stats.records:,} records, {stats.events:,} events "
            f"({logged:,} in the log with the partnerships' registrations) in {secs:.1f} s "
            f"= {stats.events / secs:,.0f} events/s"
        )
        print("  by kind: " + ", ".join(f"{k} {v:,}" for k, v in sorted(stats.by_kind.items())))
        print(
            f"  size {size / 1e6:,.1f} MB; per 100k events: {secs * per100k:.1f} s, "
            f"{size * per100k / 1e6:.1f} MB"
        )
        if a.keep:
            if a.store == "sqlite":
                print(f"  kept: {settings.sqlite_file}")
            else:
                print(f"  kept: database {settings.postgres_db}, data dir {settings.data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
