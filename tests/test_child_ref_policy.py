"""Issue 8 item 14: child references follow the partnership's recorded pattern.

Every partnership shares the pseudonymous floor (``domain.values``: a prefix letter
and digits); its recorded policy (``child_ref_pattern``, changed by a recorded
decision) narrows it to its own scheme. A reference outside it is refused where
child references enter (a review's report, an audit's sample and findings), naming
the field and the rule, and nothing is recorded."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.audit import DrawSample
from domain.audit.commands import RecordFindings
from domain.errors import RuleViolation
from domain.partnership import PartnershipPolicy
from domain.review import ReportIncident
from domain.values import DEFAULT_CHILD_REF_PATTERN
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.conftest import actor
from tests.qa_support import SAMPLE, plan_audit

AWARE = date(2025, 1, 6)
SCHEME = r"^C-[0-9]{5}$"  # this partnership's references: C- and five digits


def _report(ref: str, child_refs: list[str], partnership: str = "GSCP") -> ReportIncident:
    return ReportIncident.model_validate(
        {
            "actor": actor(),
            "case_ref": ref,
            "partnership": partnership,
            "incident_on": AWARE - timedelta(days=3),
            "aware_on": AWARE,
            "child_refs": child_refs,
            "abuse_or_neglect": True,
            "harm": "seriously_harmed",
        }
    )


def _logged(service: ReviewService) -> int:
    return int(service.recorder.max_notification_id() or 0)


def _narrow(service: ReviewService, partnership: str = "GSCP") -> None:
    service.partnerships.change_policy(
        partnership,
        PartnershipPolicy(child_ref_pattern=SCHEME),
        reason="board decision: our case system's references are C- and five digits",
        actor=actor(),
    )


def test_the_default_is_a_prefix_and_digits_and_name_like_values_never_enter() -> None:
    assert PartnershipPolicy().child_ref_pattern == DEFAULT_CHILD_REF_PATTERN
    for name_like in ("JaneSmith2010", "Ava-2019", "JohnSmith2015"):
        with pytest.raises(ValidationError) as report:
            _report("P-1", [name_like])
        (err,) = report.value.errors()
        assert (err["loc"], err["type"]) == (("child_refs", 0), "child_ref_pattern")
        with pytest.raises(ValidationError) as sample:
            DrawSample.model_validate(
                {"actor": actor(), "drawn_on": AWARE, "case_refs": ["C-10001", name_like]}
            )
        (err,) = sample.value.errors()
        assert (err["loc"], err["type"]) == (("case_refs", 1), "child_ref_pattern")


def test_a_pattern_that_accepts_a_name_or_does_not_compile_is_refused() -> None:
    with pytest.raises(ValidationError, match="must refuse name-like references"):
        PartnershipPolicy(child_ref_pattern=r"^[A-Z]+[0-9]*$")
    with pytest.raises(ValidationError, match="not a regular expression"):
        PartnershipPolicy(child_ref_pattern=r"^C-[0-9{5}$")


def test_a_report_outside_the_partnerships_pattern_is_refused_and_records_nothing(
    service: ReviewService,
) -> None:
    _narrow(service)
    before = _logged(service)
    with pytest.raises(RuleViolation) as refused:
        service.report_incident(
            _report("P-NARROW", ["C-12345", "X-1"]), key="review-P-NARROW/report", today=AWARE
        )
    assert (refused.value.field, refused.value.rule) == ("child_refs.1", "child_ref_pattern")
    assert SCHEME in refused.value.message
    assert _logged(service) == before
    assert not service.exists("GSCP", "P-NARROW")
    # within the scheme it is recorded; another partnership keeps the default
    ok = service.report_incident(
        _report("P-NARROW", ["C-12345"]), key="review-P-NARROW/report", today=AWARE
    )
    assert ok.child_count == 1
    other = service.report_incident(
        _report("P-WEST", ["X-1"], partnership="WSCP"), key="review-P-WEST/report", today=AWARE
    )
    assert other.child_count == 1


def test_a_never_seen_partnership_refused_is_not_even_registered(service: ReviewService) -> None:
    before = _logged(service)
    service.partnerships.defaults = PartnershipPolicy(child_ref_pattern=SCHEME)
    with pytest.raises(RuleViolation) as refused:
        service.report_incident(
            _report("P-NEW", ["C-1"], partnership="NEWP"), key="review-P-NEW/report", today=AWARE
        )
    assert refused.value.rule == "child_ref_pattern"
    assert _logged(service) == before
    assert service.partnerships.decisions("NEWP") == []


def test_an_audit_sample_and_findings_follow_the_partnerships_pattern(quality: Any) -> None:
    today = date(2025, 3, 3)
    _narrow(quality.reviews)
    quality.plan_audit(plan_audit("AUD-REF-1", today), key="a/planned", today=today)
    before = _logged(quality.reviews)
    with pytest.raises(RuleViolation) as sample:
        quality.record_audit_step(
            "GSCP",
            "AUD-REF-1",
            "draw_audit_sample",
            DrawSample.model_validate({"actor": actor(), "drawn_on": today, "case_refs": SAMPLE}),
            key="a/sample",
            today=today,
        )
    assert (sample.value.field, sample.value.rule) == ("case_refs.0", "child_ref_pattern")
    findings = RecordFindings.model_validate(
        {
            "actor": actor(),
            "recorded_on": today,
            "findings": [{"case_ref": "C-1001", "overall": "good"}],
        }
    )
    with pytest.raises(RuleViolation) as graded:
        quality.record_audit_step(
            "GSCP", "AUD-REF-1", "record_audit_findings", findings, key="a/f", today=today
        )
    assert (graded.value.field, graded.value.rule) == ("findings.0.case_ref", "child_ref_pattern")
    assert _logged(quality.reviews) == before
    state = quality.record_audit_step(
        "GSCP",
        "AUD-REF-1",
        "draw_audit_sample",
        DrawSample.model_validate(
            {"actor": actor(), "drawn_on": today, "case_refs": ["C-10001", "C-10002", "C-10003"]}
        ),
        key="a/sample",
        today=today,
    )
    assert state.stage == "sampled"


def test_a_partnership_recorded_before_the_pattern_loads_with_the_default(
    tmp_path: Path,
) -> None:
    """Committed data from an earlier release (tests/legacy/partnership_v1): its
    registration and policy decision carry no pattern; they load with the default,
    and a decision narrowing it is recorded after them and the log still verifies."""
    legacy = Path(__file__).parent / "legacy" / "partnership_v1"
    for name in ("events.sqlite3", "ledger.key", "ledger-anchor.json"):
        shutil.copy(legacy / name, tmp_path / name)
    services = bootstrap(Settings(data_dir=tmp_path, store="sqlite"))
    try:
        partnerships = services.partnerships
        assert all("child_ref_pattern" not in d["policy"] for d in partnerships.decisions("GSCP"))
        kept = partnerships.policy("GSCP")
        assert kept.child_ref_pattern == DEFAULT_CHILD_REF_PATTERN
        partnerships.change_policy(
            "GSCP",
            kept.model_copy(update={"child_ref_pattern": SCHEME}),
            reason="board decision: references are C- and five digits",
            actor=actor(),
        )
        assert partnerships.policy("GSCP").child_ref_pattern == SCHEME
        with pytest.raises(RuleViolation) as refused:
            partnerships.check_child_refs("GSCP", ["C-1"], field="child_refs")
        assert refused.value.rule == "child_ref_pattern"
        assert services.reviews.verify_log().ok
    finally:
        services.close()
