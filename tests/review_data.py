"""Builders for review-lifecycle commands used across tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.review import COMMANDS, ReportIncident
from domain.values import Command

ACTOR = {"name": "Alex Morgan", "role": "partnership business manager"}


def report(
    ref: str = "GSCP-2025-001", aware: date = date(2025, 4, 11), **kw: Any
) -> ReportIncident:
    data: dict[str, Any] = {
        "actor": ACTOR,
        "case_ref": ref,
        "partnership": "GSCP",
        "incident_on": aware - timedelta(days=1),
        "aware_on": aware,
        "child_refs": ["C-10001"],
        "abuse_or_neglect": True,
        "harm": "seriously_harmed",
    }
    data.update(kw)
    return ReportIncident.model_validate(data)


def cmd(step: str, **fields: Any) -> Command:
    return COMMANDS[step].model_validate({"actor": ACTOR, **fields})


def path_to_lcspr(d: date) -> list[tuple[str, Command]]:
    """Steps from a fresh report (aware on ``d``) to an LCSPR under way, all on day ``d``."""
    return [
        ("record_panel_notification", cmd("record_panel_notification", notified_on=d)),
        ("record_partners_informed", cmd("record_partners_informed", informed_on=d)),
        (
            "record_threshold_decision",
            cmd("record_threshold_decision", met=True, decided_on=d, rationale="criteria met"),
        ),
        (
            "request_agency_summaries",
            cmd(
                "request_agency_summaries",
                requested_on=d,
                requests=[{"agency": "POLICE", "due_on": d}],
            ),
        ),
        ("record_agency_summary", cmd("record_agency_summary", agency="POLICE", received_on=d)),
        (
            "record_rapid_review_meeting",
            cmd("record_rapid_review_meeting", held_on=d, agencies_present=["LA", "POLICE"]),
        ),
        (
            "record_rapid_review_decision",
            cmd(
                "record_rapid_review_decision",
                decision="lcspr",
                decided_on=d,
                rationale="systemic learning",
            ),
        ),
        ("submit_rapid_review_report", cmd("submit_rapid_review_report", submitted_on=d)),
        ("record_panel_response", cmd("record_panel_response", response="agrees", received_on=d)),
    ]


def as_then(now: Any, then: Any) -> Any:
    """``now`` in the shape recorded then: fields added since (with their defaults)
    left out; a statutory clock an old case closed, which read "cancelled" then,
    reads "not_met" with the closing outcome now (issue 8: nothing closes silently)."""
    if isinstance(now, dict) and isinstance(then, dict):
        shaped = {k: as_then(now[k], then[k]) for k in then if k in now}
        if then.get("status") == "cancelled" and now.get("status") in ("not_met", "not_required"):
            assert now["not_met_because"]
            shaped["status"] = "cancelled"
        return shaped
    return now
