"""Every route x role x scope: 401 without sign-in, 403 outside the partnership, the
agency or the role, and nothing recorded on any refusal (event store, access store,
Temporal)."""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import EventType

from tests.web_support import Web, open_case, web_app  # noqa: F401

#: routes anyone may call, signed in or not
PUBLIC = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/healthz", "/sign-in"}
#: sign-in routes: they answer 401 for bad credentials, tested in test_web_sign_in
SIGN_IN = {"/tokens", "/sign-in"}

CASE = "GSCP-2025-001"


def _routes(web: Web) -> list[tuple[str, str]]:
    """Every documented route and method (the OpenAPI document lists them all)."""
    out = []
    for path, methods in web.app.openapi()["paths"].items():
        if path in PUBLIC | SIGN_IN:
            continue
        out.extend((method.upper(), path) for method in sorted(methods))
    return out


def _url(path: str, partnership: str = "GSCP", ref: str = CASE) -> str:
    return path.replace("{p}", partnership).replace("{ref}", ref)


async def _call(web: Web, method: str, url: str, headers: dict[str, str]) -> Any:
    if method == "GET":
        return await web.http.get(url, headers=headers)
    return await web.http.post(
        url, json={}, headers={**headers, "Idempotency-Key": "matrix-key-0001"}
    )


async def _updates(web: Web) -> int:
    """Updates the case's workflow accepted (a refused request must send none)."""
    client = web.app.state.ctx.client
    handle = client.get_workflow_handle(f"review-GSCP-{CASE}")
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum([e.event_type == accepted async for e in handle.fetch_history_events()])


async def test_every_route_refuses_without_sign_in_and_outside_scope(web: Web) -> None:
    await open_case(web)  # asks POLICE (not ICB) for a summary
    routes = _routes(web)
    assert len(routes) > 60  # every lifecycle's steps and reads are covered
    before, history_before = web.recorded(), await _updates(web)
    seen: dict[tuple[str, str, str], int] = {}

    for method, path in routes:
        url = _url(path)
        # 1. nobody signed in
        r = await _call(web, method, url, {})
        seen[("anonymous", method, path)] = r.status_code
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        if "{p}" not in path:
            continue
        # 2. another partnership's business manager
        r = await _call(web, method, url, web.as_("outsider"))
        seen[("outsider", method, path)] = r.status_code
        assert r.status_code == 403 and r.json()["rule"] == "same_partnership", (method, path)
        # 3. read-only roles never write
        if method == "POST":
            for who in ("auditor", "executive"):
                r = await _call(web, method, url, web.as_(who))
                assert r.status_code == 403, (who, method, path, r.text)
                assert r.json()["rule"] == "read_only_role"
        # 4. an agency's lead never opens records
        if method == "POST" and "{ref}" not in path:
            r = await _call(web, method, url, web.as_("police"))
            rule = (
                "contacts_change_role" if path.endswith("/contacts") else "agency_lead_answers_only"
            )
            assert r.status_code == 403 and r.json()["rule"] == rule, (method, path)
        # 5. an agency's lead sees no record their agency is not part of
        if "{ref}" in path and path.startswith("/partnerships/{p}/reviews/"):
            r = await _call(web, method, url, web.as_("health"))
            assert r.status_code == 403 and r.json()["rule"] == "same_agency", (method, path)

    # 6. operations only: every partnership's chains at once
    r = await web.http.get("/verify", headers=web.as_("manager"))
    assert r.status_code == 403 and r.json()["rule"] == "operations_only"

    # nothing was recorded by any refusal: no event, no read, no workflow history
    assert web.recorded() == before
    assert await _updates(web) == history_before
    assert len(seen) > 2 * 60


async def test_an_agency_lead_answers_only_their_own_agency(web: Web) -> None:
    await open_case(web)
    steps = f"/partnerships/GSCP/reviews/{CASE}/steps"
    before = web.recorded()
    # the police lead may not record another agency's answer, nor a partnership decision
    for step, body in (
        ("record-agency-summary", {"agency": "LA", "received_on": "2025-04-14"}),
        (
            "record-rapid-review-meeting",
            {"held_on": "2025-04-14", "agencies_present": ["LA", "POLICE"]},
        ),
    ):
        r = await web.http.post(f"{steps}/{step}", json=body, headers=web.as_("police"))
        assert r.status_code == 403 and r.json()["rule"] == "own_agency_answer", r.text
    assert web.recorded() == before
    # ... and sees the case, and records their own agency's summary as themselves
    shown = await web.http.get(f"/partnerships/GSCP/reviews/{CASE}", headers=web.as_("police"))
    assert shown.status_code == 200
    r = await web.http.post(
        f"{steps}/record-agency-summary",
        json={"agency": "POLICE", "received_on": "2025-04-14"},
        headers=web.as_("police"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["agencies"]["POLICE"] == "2025-04-14"
    last = web.services.reviews.history("GSCP", CASE)[-1]
    assert last.actor["subject"] == "local:police"
    assert last.actor["role"] == "agency safeguarding lead"
    # the oversight view shows the police lead their agency's case, the health lead nothing
    police = await web.http.get("/partnerships/GSCP/oversight", headers=web.as_("police"))
    health = await web.http.get("/partnerships/GSCP/oversight", headers=web.as_("health"))
    assert [row["ref"] for row in police.json()] == [CASE]
    assert health.status_code == 200 and health.json() == []


async def test_operations_may_act_in_any_partnership(web: Web) -> None:
    await open_case(web)
    r = await web.http.get(f"/partnerships/GSCP/reviews/{CASE}", headers=web.as_("ops"))
    assert r.status_code == 200 and r.json()["case_ref"] == CASE
    r = await web.http.get("/verify", headers=web.as_("ops"))
    assert r.status_code == 200 and r.json()["ok"] is True
    assert {rec["kind"] for rec in r.json()["records"]} >= {"review"}
