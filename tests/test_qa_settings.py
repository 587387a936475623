"""Lifecycle-2 local practice comes from Settings (``QA_*``), and each record keeps
the policy it started under."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.audit import DrawSample, RequestReturns
from domain.child_of_concern import OpenConcern
from domain.qa import QaPolicy
from qa_engine.bootstrap import bootstrap
from tests.conftest import actor, sqlite_settings
from tests.qa_support import SAMPLE, plan_audit

TODAY = date(2025, 3, 3)  # a Monday

OVERRIDES = {
    "audit_return_chaser_working_days": "5, 2",  # as the environment gives it
    "audit_return_second_escalation_working_days": 8,
    "action_reminder_working_days": [15, 5, 1],
    "action_executive_escalation_working_days": 20,
    "impact_check_months": 6,
    "impact_check_window_working_days": 30,
    "concern_group_manager_working_days": 3,
    "concern_review_interval_days": 14,
}


def test_defaults_are_the_domain_defaults(tmp_path: Path) -> None:
    assert sqlite_settings(tmp_path).qa_policy == QaPolicy()


def test_overrides_build_the_policy(tmp_path: Path) -> None:
    policy = sqlite_settings(tmp_path, **OVERRIDES).qa_policy
    assert policy.return_chaser_working_days == (5, 2)
    assert policy.return_second_escalation_working_days == 8
    assert policy.action_reminder_working_days == (15, 5, 1)
    assert policy.escalate_to_executive_after_working_days == 20
    assert policy.impact_check_months == 6
    assert policy.impact_check_window_working_days == 30
    assert policy.concern_group_manager_working_days == 3
    assert policy.concern_review_interval_days == 14
    # roles keep their defaults
    assert policy.subgroup_chair == QaPolicy().subgroup_chair


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("audit_return_chaser_working_days", "3,0", "between 1 and 60"),
        ("action_reminder_working_days", [2, 2], "may appear once"),
        ("action_reminder_working_days", "2,x", "invalid literal"),
        ("impact_check_months", 0, "greater than or equal to 1"),
        ("impact_check_window_working_days", 121, "less than or equal to 120"),
        ("concern_group_manager_working_days", 21, "less than or equal to 20"),
        ("concern_review_interval_days", 0, "greater than or equal to 1"),
        ("action_executive_escalation_working_days", 0, "greater than or equal to 1"),
    ],
)
def test_out_of_range_values_are_rejected_naming_the_setting(
    tmp_path: Path, field: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError) as err:
        sqlite_settings(tmp_path, **{field: value})
    assert field in str(err.value) and message in str(err.value)


def test_a_new_audit_records_the_policy_it_started_under(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, **OVERRIDES)
    services = bootstrap(settings)
    try:
        qa = services.quality
        state = qa.plan_audit(plan_audit("AUD-POL-1", TODAY), key="a/planned", today=TODAY)
        assert state.policy == settings.qa_policy
        # the returns' chasers follow it: 5 and 2 working days before Friday 2025-03-14
        qa.record_audit_step(
            "GSCP",
            "AUD-POL-1",
            "draw_audit_sample",
            DrawSample.model_validate({"actor": actor(), "drawn_on": TODAY, "case_refs": SAMPLE}),
            key="a/sample",
            today=TODAY,
        )
        s = qa.record_audit_step(
            "GSCP",
            "AUD-POL-1",
            "request_audit_returns",
            RequestReturns.model_validate(
                {
                    "actor": actor(),
                    "requested_on": TODAY,
                    "requests": [{"agency": "LA", "due_on": date(2025, 3, 14)}],
                }
            ),
            key="a/request",
            today=TODAY,
        )
        chasers = [r.date() for r in s.clocks["return:LA"].reminders]
        assert chasers == [date(2025, 3, 7), date(2025, 3, 12)]
        concern = qa.open_concern(
            OpenConcern.model_validate(
                {
                    "actor": actor(),
                    "concern_ref": "AUD-POL-1-S01",
                    "audit_ref": "AUD-POL-1",
                    "sample_no": 1,
                    "partnership": "GSCP",
                    "graded_on": TODAY,
                }
            ),
            key="c/opened",
            today=TODAY,
        )
        assert concern.clocks["gm_review"].due_on == date(2025, 3, 6)  # 3 working days
    finally:
        services.close()

    # A later process with other settings: the partnership's recorded policy rules
    # (the environment only gives defaults for a partnership never seen before);
    # a recorded decision changes it for new audits, the running audit keeps its own.
    later = bootstrap(sqlite_settings(tmp_path))
    try:
        assert later.quality.state("GSCP", "audit", "AUD-POL-1").policy == settings.qa_policy
        same = later.quality.plan_audit(plan_audit("AUD-POL-2", TODAY), key="b/p", today=TODAY)
        assert same.policy == settings.qa_policy
        recorded = later.partnerships.policy("GSCP")
        later.partnerships.change_policy(
            "GSCP",
            recorded.model_copy(update={"qa": QaPolicy()}),
            reason="QA subgroup agreed the national defaults",
            actor=actor(),
        )
        fresh = later.quality.plan_audit(plan_audit("AUD-POL-3", TODAY), key="c/p", today=TODAY)
        assert fresh.policy == QaPolicy()
        assert later.quality.state("GSCP", "audit", "AUD-POL-1").policy == settings.qa_policy
    finally:
        later.close()
