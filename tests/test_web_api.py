"""The HTTP API over real Temporal and a real store: resources, problems, idempotency."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import httpx

from qa_engine.entry.web.app import create_app
from tests.conftest import sqlite_settings
from tests.web_support import Web, open_case, report_body, web_app  # noqa: F401

PROBLEM = "application/problem+json"


async def test_a_case_reported_and_stepped_records_the_signed_in_person(web: Web) -> None:
    state = await open_case(web)
    assert state["case_ref"] == "GSCP-2025-001" and state["partnership"] == "GSCP"
    assert "POLICE" in state["agencies"]

    shown = await web.http.get("/partnerships/gscp/reviews/gscp-2025-001", headers=web.as_("qa"))
    assert shown.status_code == 200 and shown.json()["stage"] == state["stage"]

    # (listing asks Temporal's visibility store, which the time-skipping server lacks)

    history = await web.http.get(
        "/partnerships/GSCP/reviews/GSCP-2025-001/history",
        params={"purpose": "QA audit"},
        headers=web.as_("auditor"),
    )
    assert history.status_code == 200, history.text
    events = history.json()["events"]
    assert events[0]["event"] == "IncidentReported"
    assert [e["event"] for e in events].count("PanelNotified") == 1
    # who recorded it comes from the sign-in, never from the body
    assert events[0]["actor"]["name"] == "Alex Morgan"
    assert events[0]["actor"]["subject"] == "local:manager"
    assert events[0]["actor"]["role"] == "partnership business manager"
    # the auditor's read is in the access log, with the purpose given
    reads = history.json()["reads"]
    assert [(r["actor"]["subject"], r["purpose"]) for r in reads] == [("local:auditor", "QA audit")]


async def test_invalid_input_names_the_field_and_rule_and_records_nothing(web: Web) -> None:
    before = web.recorded()
    r = await web.http.post(
        "/partnerships/GSCP/reviews",
        json=report_body(child_refs=["Jane Smith"]),
        headers=web.as_("manager"),
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["field"] == "child_refs.0" and problem["rule"] == "child_ref_pattern"
    assert "pseudonymous" in problem["detail"]

    r = await web.http.post(
        "/partnerships/GSCP/reviews",
        json=report_body(incident_on="2025-04-12"),
        headers=web.as_("manager"),
    )
    assert r.status_code == 422 and r.json()["field"] == "aware_on"
    r = await web.http.post(
        "/partnerships/GSCP/reviews",
        json={**report_body(), "actor": {"name": "Someone Else", "role": "auditor"}},
        headers=web.as_("manager"),
    )
    assert r.status_code == 422 and r.json()["field"] == "actor"
    assert r.json()["rule"] == "extra_forbidden"
    assert web.recorded() == before


async def test_a_step_out_of_order_is_409_and_an_unknown_case_404(web: Web) -> None:
    r = await web.http.post(
        "/partnerships/GSCP/reviews", json=report_body(), headers=web.as_("manager")
    )
    assert r.status_code == 201
    before = web.recorded()
    r = await web.http.post(
        "/partnerships/GSCP/reviews/GSCP-2025-001/steps/record-agency-summary",
        json={"agency": "POLICE", "received_on": "2025-04-14"},
        headers=web.as_("manager"),
    )
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM, r.text
    assert r.json()["rule"] and r.json()["title"] == "Refused by a rule"
    assert web.recorded() == before

    r = await web.http.get("/partnerships/GSCP/reviews/GSCP-2025-999", headers=web.as_("qa"))
    assert r.status_code == 404 and r.json()["field"] == "case_ref"
    r = await web.http.post(
        "/partnerships/GSCP/reviews", json=report_body(), headers=web.as_("manager")
    )
    assert r.status_code == 409 and r.json()["rule"] == "unique_case_ref"


async def test_a_repeated_step_with_one_idempotency_key_is_recorded_once(web: Web) -> None:
    r = await web.http.post(
        "/partnerships/GSCP/reviews", json=report_body(), headers=web.as_("manager")
    )
    assert r.status_code == 201
    url = "/partnerships/GSCP/reviews/GSCP-2025-001/steps/record-panel-notification"
    headers = {**web.as_("manager"), "Idempotency-Key": "panel-notification-0001"}
    first = await web.http.post(url, json={"notified_on": "2025-04-11"}, headers=headers)
    again = await web.http.post(url, json={"notified_on": "2025-04-11"}, headers=headers)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json()
    # without the key, the same step is a second notification, refused by its rule
    bare = await web.http.post(url, json={"notified_on": "2025-04-11"}, headers=web.as_("manager"))
    assert bare.status_code == 409

    events = web.services.reviews.history("GSCP", "GSCP-2025-001")
    assert [e.data["notified_on"] for e in events if e.event == "PanelNotified"] == [
        date(2025, 4, 11)
    ]

    # the same key for a different request is refused, and records nothing
    other = await web.http.post(url, json={"notified_on": "2025-04-12"}, headers=headers)
    assert other.status_code == 422 and other.json()["rule"] == "idempotency_key_reused"


async def test_a_repeated_step_without_a_key_is_recorded_once_as_from_the_cli(
    web: Web,
) -> None:
    """No Idempotency-Key: the key is derived from the record, step, input and day (the
    CLI's derivation), so a retried or double-sent POST records the step once."""
    r = await web.http.post(
        "/partnerships/GSCP/reviews", json=report_body(), headers=web.as_("manager")
    )
    assert r.status_code == 201
    url = "/partnerships/GSCP/reviews/GSCP-2025-001/steps/record-panel-notification"
    first = await web.http.post(url, json={"notified_on": "2025-04-11"}, headers=web.as_("manager"))
    again = await web.http.post(url, json={"notified_on": "2025-04-11"}, headers=web.as_("manager"))
    assert first.status_code == again.status_code == 200, again.text
    assert first.json() == again.json()
    # different input is a different request: a second notification, refused by its rule
    other = await web.http.post(url, json={"notified_on": "2025-04-12"}, headers=web.as_("manager"))
    assert other.status_code == 409 and other.json()["rule"]
    events = web.services.reviews.history("GSCP", "GSCP-2025-001")
    assert [e.event for e in events].count("PanelNotified") == 1


async def test_a_repeated_report_with_one_idempotency_key_answers_the_first(web: Web) -> None:
    headers = {**web.as_("manager"), "Idempotency-Key": "report-GSCP-2025-001"}
    first = await web.http.post("/partnerships/GSCP/reviews", json=report_body(), headers=headers)
    again = await web.http.post("/partnerships/GSCP/reviews", json=report_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    events = web.services.reviews.history("GSCP", "GSCP-2025-001")
    assert [e.event for e in events].count("IncidentReported") == 1


async def test_an_audit_is_planned_and_read_through_the_api(web: Web) -> None:
    body = {
        "audit_ref": "GSCP-A01",
        "kind": "multi_agency_thematic",
        "theme": "neglect in under-fives",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "sample_size": 4,
        "lead": "QA officer",
        "agencies": ["LA", "POLICE"],
    }
    r = await web.http.post("/partnerships/GSCP/audits", json=body, headers=web.as_("qa"))
    assert r.status_code == 201, r.text
    assert r.json()["ref"] == "GSCP-A01"
    # a step dated before the audit was opened is refused by its rule
    r = await web.http.post(
        "/partnerships/GSCP/audits/GSCP-A01/steps/draw-audit-sample",
        json={"drawn_on": "2020-04-14", "case_refs": ["C-1", "C-2", "C-3", "C-4"]},
        headers=web.as_("qa"),
    )
    assert r.status_code == 409 and r.json()["field"] == "drawn_on", r.text
    verify = await web.http.get("/partnerships/GSCP/audits/GSCP-A01/verify", headers=web.as_("qa"))
    assert verify.status_code == 200 and verify.json()["ok"] is True
    assert verify.json()["records"] == 1
    trail = await web.http.get("/partnerships/GSCP/audits/GSCP-A01/trail", headers=web.as_("qa"))
    assert trail.status_code == 200, trail.text
    assert len(trail.json()["entries"]) == 1
    assert trail.json()["entries"][0]["who"] == "Priya Shah"
    oversight = await web.http.get(
        "/partnerships/GSCP/oversight", params={"kind": "audit"}, headers=web.as_("manager")
    )
    assert [row["ref"] for row in oversight.json()] == ["GSCP-A01"]


async def test_history_as_of_is_fact_time_and_as_at_recording_time(web: Web) -> None:
    """Issue 8 item 13, on a case entered after the event (facts of April 2025, recorded
    now): as of a day, what had happened by its end; as at a moment, what the record
    said then. The two answers differ."""
    await open_case(web)  # every fact dated 2025-04-11, recorded today
    url = "/partnerships/GSCP/reviews/GSCP-2025-001/history"
    r = await web.http.post(
        "/partnerships/GSCP/reviews/GSCP-2025-001/steps/record-agency-summary",
        json={"agency": "POLICE", "received_on": "2025-04-15"},
        headers=web.as_("manager"),
    )
    assert r.status_code == 200, r.text
    auditor = web.as_("auditor")
    before = await web.http.get(url, params={"as_of": "2020-01-01"}, headers=auditor)
    assert before.status_code == 404 and before.json()["rule"] == "case_exists"
    assert before.json()["field"] == "as_of"
    # as of the 11th: the facts of that day, not the summary received on the 15th
    of_11 = await web.http.get(url, params={"as_of": "2025-04-11"}, headers=auditor)
    assert of_11.status_code == 200, of_11.text
    events = of_11.json()["events"]
    assert events[0]["event"] == "IncidentReported" and len(events) == 5
    assert {e["happened_on"] for e in events} == {"2025-04-11"}
    assert "AgencySummaryReceived" not in [e["event"] for e in events]
    of_15 = await web.http.get(url, params={"as_of": "2025-04-15"}, headers=auditor)
    assert [e["event"] for e in of_15.json()["events"]][-1] == "AgencySummaryReceived"
    assert of_15.json()["events"][-1]["happened_on"] == "2025-04-15"
    # as at the end of the 15th nothing was recorded yet: it was entered later
    at_15 = await web.http.get(url, params={"as_at": "2025-04-15T23:59:59"}, headers=auditor)
    assert at_15.status_code == 404
    # both: what the record says now about what had happened by the 11th
    both = await web.http.get(
        url, params={"as_of": "2025-04-11", "as_at": "2100-01-01T00:00:00"}, headers=auditor
    )
    assert both.status_code == 200 and len(both.json()["events"]) == 5
    assert both.json()["state"]["case_ref"] == "GSCP-2025-001"
    assert both.json()["reads"][-1]["as_of"] == "2025-04-11"
    spec = (await web.http.get("/openapi.json")).json()
    params = spec["paths"]["/partnerships/{p}/reviews/{ref}/history"]["get"]["parameters"]
    described = {p["name"]: p.get("description", "") for p in params}
    assert "fact time" in described["as_of"] and "recording time" in described["as_at"]


async def test_the_openapi_document_describes_every_route_and_problem(web: Web) -> None:
    spec = (await web.http.get("/openapi.json")).json()
    paths = spec["paths"]
    assert "/partnerships/{p}/reviews/{ref}/steps/record-agency-summary" in paths
    assert "/partnerships/{p}/concerns/{ref}/steps/record-group-manager-review" in paths
    step = paths["/partnerships/{p}/reviews/{ref}/steps/record-agency-summary"]["post"]
    assert {"401", "403", "404", "409", "422", "503"} <= set(step["responses"])
    params = {p["name"]: p for p in step["parameters"]}
    assert params["Idempotency-Key"]["description"] and params["p"]["description"]
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert all(f.get("description") for f in problem.values())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_temporal_down_is_503_naming_the_service(tmp_path: Path) -> None:
    from tests.web_support import add_people

    settings = sqlite_settings(tmp_path, temporal_address=f"127.0.0.1:{_free_port()}")
    app = create_app(settings)
    ctx = app.state.ctx
    add_people(ctx.accounts)
    token, _ = ctx.accounts.issue_token(ctx.accounts.account("manager"))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        ) as http:
            r = await http.get(
                "/partnerships/GSCP/reviews/GSCP-2025-001",
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        ctx.services.close()
        ctx.accounts.close()
    assert r.status_code == 503 and r.headers["content-type"] == PROBLEM
    assert "Temporal" in r.json()["detail"] and r.headers["retry-after"] == "5"


async def test_a_today_outside_the_calendar_is_refused_naming_the_field(web: Web) -> None:
    """Found by schemathesis: ``today`` outside the working-day calendar reached it (500)."""
    await open_case(web)
    r = await web.http.get(
        "/partnerships/GSCP/oversight", params={"today": "2000-01-02"}, headers=web.as_("manager")
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert (r.json()["field"], r.json()["rule"]) == ("today", "date_in_calendar_range")
