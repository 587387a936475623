"""The pages without a browser (fast): what each person sees, forms through the
application layer, refusals shown in the error summary with nothing recorded."""

from __future__ import annotations

import re

import pyotp

from tests.web_support import PASSWORD, Web, open_case, web_app  # noqa: F401

HTML = {"Accept": "text/html"}


async def _sign_in(web: Web, who: str) -> str:
    """Sign ``who`` in through the form; the session's CSRF token (from a page)."""
    web.http.cookies.clear()
    form = await web.http.get("/sign-in", headers=HTML)
    assert form.status_code == 200 and "govuk-frontend.min.css" in form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    fields = {
        "username": who,
        "password": PASSWORD,
        "code": pyotp.TOTP(web.secrets[who]).now(),
        "csrf_token": token.group(1),
    }
    r = await web.http.post("/sign-in", data=fields, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/inbox", r.text
    inbox = await web.http.get("/inbox", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', inbox.text)
    assert csrf is not None
    return csrf.group(1)


async def test_a_wrong_code_is_shown_in_the_error_summary(web: Web) -> None:
    form = await web.http.get("/sign-in", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    r = await web.http.post(
        "/sign-in",
        data={"username": "manager", "password": PASSWORD, "code": "000000"}
        | {"csrf_token": token.group(1)},
        headers=HTML,
    )
    assert r.status_code == 401 and "govuk-error-summary" in r.text
    assert 'data-rule="valid_credentials"' in r.text
    assert (await web.http.get("/inbox", headers=HTML)).headers["location"] == "/sign-in"


async def test_the_agency_lead_sees_their_ask_and_answers_it_from_the_case_page(web: Web) -> None:
    await open_case(web)  # the police are asked for a summary, due 2025-04-22
    # the ICB's lead owes nothing and cannot open the case
    await _sign_in(web, "health")
    assert "agency_summary:POLICE" not in (await web.http.get("/inbox", headers=HTML)).text
    refused = await web.http.get("/records/reviews/GSCP-2025-001", headers=HTML)
    assert refused.status_code == 403 and 'data-rule="same_agency"' in refused.text

    csrf = await _sign_in(web, "police")
    inbox = await web.http.get("/inbox", headers=HTML)
    assert 'data-clock="agency_summary:POLICE"' in inbox.text
    assert "/records/reviews/GSCP-2025-001" in inbox.text and "overdue" in inbox.text

    page = await web.http.get("/records/reviews/GSCP-2025-001", headers=HTML)
    assert page.status_code == 200 and "Agency summaries requested" in page.text, page.text[:3000]
    url = "/records/reviews/GSCP-2025-001/steps/record-agency-summary"

    # answering for another agency is refused by the same rule as the API: nothing recorded
    before = web.recorded()
    form = {"csrf_token": csrf, "idempotency_key": "form-key-0001", "received_on": "2025-04-14"}
    r = await web.http.post(url, data={**form, "agency": "ICB"}, headers=HTML)
    assert r.status_code == 403 and "govuk-error-summary" in r.text
    assert 'data-field="agency"' in r.text
    # a date that is not a date names the field and the rule
    r = await web.http.post(url, data={**form, "agency": "POLICE", "received_on": "14/4"})
    assert r.status_code == 422 and 'data-field="received_on"' in r.text
    # without the form's CSRF token: refused
    r = await web.http.post(url, data={**form, "agency": "POLICE", "csrf_token": "x"})
    assert r.status_code == 403
    assert web.recorded() == before

    # the answer, sent twice (a double click), is recorded once and shows in the timeline
    for _ in range(2):
        r = await web.http.post(url, data={**form, "agency": "POLICE"}, headers=HTML)
        assert r.status_code == 303, r.text
    events = web.services.reviews.history("GSCP", "GSCP-2025-001")
    received = [e for e in events if e.event == "AgencySummaryReceived"]
    assert len(received) == 1 and received[0].actor["name"] == "Chris Lane"
    page = await web.http.get("/records/reviews/GSCP-2025-001", headers=HTML)
    assert "Chris Lane" in page.text
    inbox = await web.http.get("/inbox", headers=HTML)
    assert 'data-clock="agency_summary:POLICE"' not in inbox.text


async def test_the_auditor_reads_history_with_a_purpose_and_cannot_record(web: Web) -> None:
    await open_case(web)
    await _sign_in(web, "auditor")
    page = await web.http.get("/records/reviews/GSCP-2025-001", headers=HTML)
    assert page.status_code == 200 and "Record a step" not in page.text
    url = "/records/reviews/GSCP-2025-001/history"
    before = web.recorded()
    r = await web.http.get(url, params={"purpose": ""}, headers=HTML)
    assert r.status_code == 422 and 'data-rule="purpose_given"' in r.text
    assert web.recorded() == before
    r = await web.http.get(url, params={"purpose": "QA audit", "as_of": ""}, headers=HTML)
    assert r.status_code == 200 and "IncidentReported" in r.text
    assert 'data-testid="verify"' in r.text and "Intact" in r.text
    assert "QA audit" in r.text and "Ivy Inspector" in r.text
    reads = web.services.reviews.reads("GSCP", "GSCP-2025-001")
    assert [(r.actor["subject"], r.purpose) for r in reads] == [("local:auditor", "QA audit")]

    over = await web.http.get("/oversight", headers=HTML)
    assert over.status_code == 200 and "GSCP-2025-001" in over.text


def _clock_rows(html: str) -> dict[str, str]:
    """The case page's clocks table: clock key -> the row's text (tags stripped)."""
    rows = re.findall(r'<tr class="govuk-table__row" data-clock="([^"]+)">(.*?)</tr>', html, re.S)
    return {key: " ".join(re.sub(r"<[^>]+>", " ", row).split()) for key, row in rows}


async def test_a_statutory_clock_closed_not_met_reads_not_met_with_its_reason(web: Web) -> None:
    """Issue 8's closings: a withdrawn rapid review's clock is "not met: <reason>" on
    the case page, and no statutory clock reads "cancelled"."""
    await open_case(web)
    r = await web.http.post(
        "/partnerships/GSCP/reviews/GSCP-2025-001/steps/record-withdrawal",
        json={
            "withdrawn_on": "2025-04-14",
            "reasons": "criteria not met after all",
            "decided_by": ["LA lead", "ICB lead", "Police lead"],
        },
        headers=web.as_("manager"),
    )
    assert r.status_code == 200, r.text
    state = r.json()
    await _sign_in(web, "manager")
    page = await web.http.get("/records/reviews/GSCP-2025-001", headers=HTML)
    assert page.status_code == 200
    rows = _clock_rows(page.text)
    said = re.search(
        r"not met\s*:\s*(withdrawn: the criteria were not met after all)", rows["rapid_review"]
    )
    assert said is not None, rows["rapid_review"]
    statutory = {k for k, d in state["deadlines"].items() if d["statutory"]}
    assert "rapid_review" in statutory
    assert not [k for k in statutory if "cancelled" in rows[k]], rows
    assert not [k for k, row in rows.items() if "not_met" in row]  # nor the stored word


async def test_an_audit_page_shows_its_clocks_and_records_a_step_from_its_form(web: Web) -> None:
    body = {
        "audit_ref": "GSCP-A01",
        "kind": "multi_agency_thematic",
        "theme": "neglect in under-fives",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "sample_size": 2,
        "lead": "QA officer",
        "agencies": ["LA", "POLICE"],
    }
    r = await web.http.post("/partnerships/GSCP/audits", json=body, headers=web.as_("qa"))
    assert r.status_code == 201, r.text
    csrf = await _sign_in(web, "qa")
    page = await web.http.get("/records/audits/GSCP-A01", headers=HTML)
    assert page.status_code == 200 and 'id="step-draw-audit-sample"' in page.text
    url = "/records/audits/GSCP-A01/steps/draw-audit-sample"
    form = {"csrf_token": csrf, "idempotency_key": "audit-form-0001"}
    # a list is asked one a line; a wrong count is refused by the lifecycle's rule
    before = web.recorded()
    r = await web.http.post(url, data={**form, "drawn_on": "2020-04-14", "case_refs": "C-1\nC-2"})
    assert r.status_code == 409 and "govuk-error-summary" in r.text
    assert web.recorded() == before
    today = (await web.http.get("/inbox", headers=HTML)).text
    assert "GSCP-A01" in today and "no due day" in today  # planned: no clock runs yet
    drawn = web.services.quality.state("GSCP", "audit", "GSCP-A01").opened_on.isoformat()
    r = await web.http.post(
        url,
        data={**form, "idempotency_key": "audit-form-0002", "drawn_on": drawn}
        | {"case_refs": "C-1\nC-2"},
    )
    assert r.status_code == 303, r.text
    page = await web.http.get("/records/audits/GSCP-A01", headers=HTML)
    assert "Priya Shah" in page.text


async def test_a_case_and_an_audit_are_opened_from_their_forms(web: Web) -> None:
    """``/records/{segment}/new``: the form made from the opening command; a refusal
    shows the error summary and opens nothing; a form sent twice opens once; only
    someone who may open records is offered it."""
    await _sign_in(web, "police")
    r = await web.http.get("/records/reviews/new", headers=HTML)
    assert r.status_code == 403 and 'data-rule="agency_lead_answers_only"' in r.text
    assert 'id="open-records"' not in (await web.http.get("/oversight", headers=HTML)).text

    csrf = await _sign_in(web, "manager")
    assert 'href="/records/reviews/new"' in (await web.http.get("/oversight", headers=HTML)).text
    form = await web.http.get("/records/reviews/new", headers=HTML)
    assert form.status_code == 200 and "Report a serious incident" in form.text
    assert 'name="partnership"' not in form.text  # always the signed-in person's own
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert key is not None
    fields = {
        "csrf_token": csrf,
        "idempotency_key": key.group(1),
        "case_ref": "GSCP-2025-077",
        "incident_on": "2025-04-10",
        "aware_on": "2025-04-09",  # before the incident: refused by the command's rule
        "child_refs": "C-10077",
        "abuse_or_neglect": "true",
        "harm": "seriously_harmed",
    }
    before = web.recorded()
    r = await web.http.post("/records/reviews/new", data=fields, headers=HTML)
    assert r.status_code == 422 and 'data-field="aware_on" data-rule="chronology"' in r.text, r.text
    assert 'value="GSCP-2025-077"' in r.text  # what was typed is kept
    r = await web.http.post(
        "/records/reviews/new", data=fields | {"child_refs": "JohnSmith2015"}, headers=HTML
    )
    assert r.status_code == 422 and 'data-field="child_refs.0"' in r.text, r.text
    assert web.recorded()[0] == before[0]

    fields["aware_on"] = "2025-04-11"
    for _ in range(2):  # a double submit opens the case once and lands on it
        r = await web.http.post("/records/reviews/new", data=fields, headers=HTML)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/records/reviews/GSCP-2025-077"
    case = await web.http.get("/records/reviews/GSCP-2025-077", headers=HTML)
    assert case.status_code == 200 and "Notify the national Panel" in case.text
    events = web.services.reviews.history("GSCP", "GSCP-2025-077")
    assert [e.event for e in events].count("IncidentReported") == 1
    # the same reference again, from a fresh form: refused by the rule, nothing recorded
    r = await web.http.post(
        "/records/reviews/new", data=fields | {"idempotency_key": "another-form"}, headers=HTML
    )
    assert r.status_code == 409 and "govuk-error-summary" in r.text, r.text
    assert len(web.services.reviews.history("GSCP", "GSCP-2025-077")) == len(events)

    audit = {
        "csrf_token": csrf,
        "idempotency_key": "plan-audit-form-1",
        "audit_ref": "GSCP-A77",
        "kind": "multi_agency_thematic",
        "theme": "Neglect",
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "sample_size": "6",
        "lead": "QA officer",
        "agencies": "LA\nPOLICE",
    }
    r = await web.http.post("/records/audits/new", data=audit, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/records/audits/GSCP-A77", r.text
    page = await web.http.get("/records/audits/GSCP-A77", headers=HTML)
    assert page.status_code == 200 and "Draw audit sample" in page.text
