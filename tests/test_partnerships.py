"""Partnerships as tenants: policy is recorded data, changed by recorded decisions, copied
onto each case when it opens; principals act only inside their partnership."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.errors import RuleViolation
from domain.partnership import PartnershipPolicy
from domain.rules import LocalVariations
from domain.tenancy import OutsideScope, Principal, Role
from projections import queries
from projections.catalogue import build_runner, sealer_for
from qa_engine.reviews import ReviewService
from tests.conftest import actor
from tests.lifecycle import report, step
from tests.wf_helpers import start_case

D = date(2025, 1, 6)


def _rapid_review_start(svc: ReviewService, ref: str, partnership: str) -> date:
    report(svc, ref, partnership=partnership, aware=D)
    step(svc, ref, "record_panel_notification", D, partnership=partnership, notified_on=D)
    s = step(
        svc,
        ref,
        "record_threshold_decision",
        D,
        partnership=partnership,
        met=True,
        decided_on=D,
        rationale="met",
    )
    return s.deadlines["rapid_review"].clock_start


def test_a_partnership_is_registered_with_the_defaults_on_first_use(
    service: ReviewService,
) -> None:
    report(service, "P-1", partnership="GSCP")
    (registered,) = service.partnerships.decisions("GSCP")
    assert registered["event"] == "Registered" and registered["reason"] == "deployment defaults"
    assert service.partnerships.policy("GSCP") == service.partnerships.defaults


def test_a_recorded_policy_decision_governs_new_cases_only(service: ReviewService) -> None:
    assert _rapid_review_start(service, "P-OLD", "GSCP") == D  # from the notification
    incident = PartnershipPolicy(
        variations=LocalVariations(rapid_review_clock_from="incident"),
    )
    service.partnerships.change_policy(
        "GSCP", incident, reason="board decision 2025-01: count from the incident", actor=actor()
    )
    assert _rapid_review_start(service, "P-NEW", "GSCP") == date(2025, 1, 3)  # the incident
    assert _rapid_review_start(service, "P-WEST", "WSCP") == D  # another partnership: defaults
    # the case opened before the decision keeps the rules it started under
    assert service.state("GSCP", "P-OLD").variations.rapid_review_clock_from.value == "notification"
    decisions = service.partnerships.decisions("GSCP")
    assert [d["event"] for d in decisions] == ["Registered", "PolicyChanged"]
    assert decisions[-1]["actor"] == actor() and "board decision" in decisions[-1]["reason"]


def test_a_policy_decision_needs_a_change_and_a_reason(service: ReviewService) -> None:
    policy = service.partnerships.policy("GSCP")
    with pytest.raises(RuleViolation) as unchanged:
        service.partnerships.change_policy("GSCP", policy, reason="no change", actor=actor())
    assert unchanged.value.rule == "policy_changed"
    with pytest.raises(ValueError, match="unknown rule set"):
        PartnershipPolicy(rule_set="wt1999")


def test_a_principal_acts_only_for_its_partnership_and_role() -> None:
    lead = Principal(
        subject="u-17",
        name="Pat Police",
        partnership="GSCP",
        roles=(Role.AGENCY_LEAD,),
        agencies=("POLICE",),
    )
    assert lead.scope.partnership == "GSCP" and lead.scope.agencies == ("POLICE",)
    assert lead.actor().model_dump(exclude_none=True) == {
        "name": "Pat Police",
        "role": "agency safeguarding lead",
        "subject": "u-17",
        "partnership": "GSCP",
    }
    lead.check_partnership("GSCP", what="case P-1")
    with pytest.raises(OutsideScope) as other:
        lead.check_partnership("WSCP", what="case W-1")
    assert (other.value.field, other.value.rule) == ("partnership", "same_partnership")
    auditor = Principal(
        subject="a-1", name="Ivy Inspector", partnership="GSCP", roles=(Role.AUDITOR,)
    )
    assert auditor.scope.agencies is None
    with pytest.raises(OutsideScope) as read_only:
        auditor.check_may_record(what="recording a step")
    assert read_only.value.rule == "read_only_role"


def test_two_partnerships_hold_the_same_case_reference_side_by_side(
    service: ReviewService,
) -> None:
    report(service, "SAME-1", partnership="GSCP")
    report(service, "SAME-1", partnership="WSCP")
    step(service, "SAME-1", "record_panel_notification", D, partnership="WSCP", notified_on=D)
    gscp, wscp = service.state("GSCP", "SAME-1"), service.state("WSCP", "SAME-1")
    assert (gscp.partnership, gscp.notified_on) == ("GSCP", None)
    assert (wscp.partnership, wscp.notified_on) == ("WSCP", D)
    assert len(service.history("GSCP", "SAME-1")) == 1
    assert len(service.history("WSCP", "SAME-1")) == 2
    assert service.verify("GSCP", "SAME-1").ok and service.verify("WSCP", "SAME-1").ok
    runner = build_runner(service)
    runner.catch_up()
    with runner.db.read() as cur:
        rows = cur.execute(
            "SELECT partnership, stage FROM {oversight} WHERE ref = 'SAME-1' ORDER BY partnership"
        ).fetchall()
    assert [r["partnership"] for r in rows] == ["GSCP", "WSCP"]
    trail = queries.trail(runner.db, "SAME-1", partnership="WSCP", sealer=sealer_for(service))
    assert len(trail) == 2


async def test_two_partnerships_run_the_same_case_reference_as_two_workflows(
    review_worker: Any,
) -> None:
    client, queue, _ = review_worker
    today = date(2025, 1, 6)
    _, west = await start_case(client, queue, today, ref="SAME-2", partnership="WSCP")
    _, gloucs = await start_case(client, queue, today, ref="SAME-2", partnership="GSCP")
    assert (west.id, gloucs.id) == ("review-WSCP-SAME-2", "review-GSCP-SAME-2")
