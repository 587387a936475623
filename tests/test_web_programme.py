"""Lifecycle 3 over HTTP: the board pack as figures, an HTML page and a PDF (the
route the CLI's ``board-pack`` has), and the pages (programme planned against done,
a Section 11 cycle, a subgroup's meetings and logs, a scorecard quarter with its
exceptions, the board pack with its charts and PDF), each scoped to the signed-in
principal's partnership."""

from __future__ import annotations

import re
from pathlib import Path

from domain.section11.commands import STANDARDS
from tests.test_board_pack import _pdf_pages, record_a_year
from tests.test_web_pages import HTML, _sign_in
from tests.web_support import Web, web_app  # noqa: F401


async def test_the_board_pack_as_json_html_and_pdf(web: Web, tmp_path: Path) -> None:
    record_a_year(web.services)
    url = "/partnerships/GSCP/board-pack"
    r = await web.http.get(url, params={"period": "2026/27 Q2"}, headers=web.as_("executive"))
    assert r.status_code == 200, r.text
    figures = r.json()
    assert figures["period"] == "2026/27 Q2" and figures["section11"][0]["returned"] == 2
    assert [t["measure"] for t in figures["timeliness"]] == ["notification"]

    r = await web.http.get(
        url, params={"period": "2026/27 Q2", "format": "html"}, headers=web.as_("police")
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text.count('<figure class="chart"') == 4 and 'role="img"' in r.text

    r = await web.http.get(
        url, params={"period": "2026/27", "format": "pdf"}, headers=web.as_("auditor")
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert 'filename="board-pack-GSCP-2026-27.pdf"' in r.headers["content-disposition"]
    pages = _pdf_pages(r.content, tmp_path)
    assert "Annual report: GSCP, 2026/27" in pages[0]["text"]
    assert sum(len(p["images"]) for p in pages) == 4

    before = web.recorded()
    r = await web.http.get(url, params={"period": "Q2"}, headers=web.as_("manager"))
    assert r.status_code == 422 and r.json()["field"] == "period", r.text
    r = await web.http.get(url, params={"period": "2026/27"}, headers=web.as_("outsider"))
    assert r.status_code == 403 and r.json()["rule"] == "same_partnership"
    r = await web.http.get("/partnerships/WSCP/board-pack?period=2026/27", headers=web.as_("ops"))
    assert r.status_code == 200 and r.json()["section11"] == []
    assert web.recorded() == before


async def test_the_lifecycle_3_pages_show_the_partnerships_programme(web: Web) -> None:
    record_a_year(web.services)
    svc = web.services.programme
    for path in ("/programme?year=2026", "/section11/S11-2026", "/board-pack"):
        r = await web.http.get(path, headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/sign-in", path

    await _sign_in(web, "executive")
    page = await web.http.get("/programme?year=2026", headers=HTML)
    assert page.status_code == 200 and "QA programme 2026" in page.text
    months = {row.month: row for row in svc.programme("GSCP", 2026).month_view()}
    july = page.text.split('data-month="7"', 1)[1].split("</tr>", 1)[0]
    assert f"data-planned>{months[7].planned}<" in july and f"data-done>{months[7].done}<" in july
    assert months[7].done == 1

    cycle = await web.http.get("/section11/S11-2026", headers=HTML)
    assert cycle.status_code == 200 and 'data-returned="2"' in cycle.text
    assert "outstanding: POLICE" in cycle.text and 'data-action="SA2"' in cycle.text

    group = await web.http.get("/subgroups/QIIP?year=2026", headers=HTML)
    assert group.status_code == 200
    assert 'data-meeting="QIIP-2026-07" data-quorate="True"' in group.text
    assert 'data-meeting="QIIP-2026-09" data-quorate="False"' in group.text
    assert "inquorate: POLICE absent" in group.text
    assert "Share the missing-children dataset" in group.text  # the action log

    card = await web.http.get("/scorecards/GSCP-SC?quarter=2026/27 Q2", headers=HTML)
    assert card.status_code == 200 and 'id="exceptions"' in card.text
    assert "2 exception(s) this quarter" in card.text and "IHC_15WD 81.5%" in card.text
    earlier = await web.http.get("/scorecards/GSCP-SC?quarter=2026/27 Q1", headers=HTML)
    assert 'id="exceptions"' not in earlier.text  # 88% was within tolerance

    pack = await web.http.get("/board-pack?period=2026/27 Q2", headers=HTML)
    assert pack.status_code == 200 and pack.text.count('<figure class="chart"') == 4
    assert 'href="/board-pack.pdf?period=2026/27%20Q2"' in pack.text
    pdf = await web.http.get("/board-pack.pdf?period=2026/27 Q2", headers=HTML)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    bad = await web.http.get("/board-pack?period=Q2", headers=HTML)
    assert bad.status_code == 422 and 'data-rule="period"' in bad.text

    # another partnership's manager finds none of GSCP's records
    await _sign_in(web, "outsider")
    for path in ("/section11/S11-2026", "/subgroups/QIIP", "/scorecards/GSCP-SC"):
        r = await web.http.get(path, headers=HTML)
        assert r.status_code == 404, path
    r = await web.http.get("/board-pack?period=2026/27 Q2", headers=HTML)
    assert r.status_code == 200 and "WSCP" in r.text and "S11-2026" not in r.text


async def test_lifecycle_3_steps_through_the_api(web: Web) -> None:
    from datetime import date

    from tests import test_section11 as s11

    base = "/partnerships/GSCP"
    today = date.today().isoformat()
    # a programme opened from the seed timetable; the schedules are synced or a note says why
    r = await web.http.post(
        f"{base}/programmes?template=seed-002",
        json={"year": 2027, "decided_on": today},
        headers={**web.as_("manager"), "Idempotency-Key": "open-programme-2027"},
    )
    assert r.status_code == 201, r.text
    assert len(r.json()["entries"]) == 12 and "schedules_note" in r.json()
    again = await web.http.post(
        f"{base}/programmes?template=seed-002",
        json={"year": 2027, "decided_on": today},
        headers={**web.as_("manager"), "Idempotency-Key": "open-programme-2027"},
    )
    assert again.status_code == 201 and again.json()["ref"] == r.json()["ref"]
    r = await web.http.post(
        f"{base}/programmes/2027/steps/skip-programme-occurrence",
        json={"entry_id": "QAR", "month": 12, "decided_on": today, "reason": "Annual report"},
        headers=web.as_("manager"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["entries"]["QAR"]["occurrences"]["12"]["status"] == "skipped"
    shown = await web.http.get(f"{base}/programmes/2027", headers=web.as_("auditor"))
    assert shown.status_code == 200 and shown.json()["year"] == 2027

    # a Section 11 cycle: opened by the manager, the police lead returns their own part only
    r = await web.http.post(
        f"{base}/section11-cycles",
        json={
            "cycle_ref": "S11-2026",
            "cycle_year": 1,
            "opened_on": s11.OPENED.isoformat(),
            "returns_due_on": s11.DUE.isoformat(),
        },
        headers=web.as_("manager"),
    )
    assert r.status_code == 201, r.text
    steps = f"{base}/section11-cycles/S11-2026/steps"
    before = web.recorded()
    r = await web.http.post(
        f"{steps}/submit-self-assessment",
        json={**s11.assessment("LA"), "submitted_on": s11.OPENED.isoformat()},
        headers=web.as_("police"),
    )
    assert r.status_code == 403 and r.json()["rule"] == "own_agency_answer", r.text
    r = await web.http.post(
        f"{base}/section11-cycles",
        json={"cycle_ref": "S11-2027", "cycle_year": 2, "opened_on": today},
        headers=web.as_("police"),
    )
    assert r.status_code == 403 and r.json()["rule"] == "agency_lead_answers_only"
    r = await web.http.post(
        f"{steps}/submit-self-assessment",
        json={**s11.assessment("POLICE"), "submitted_on": "not a day"},
        headers=web.as_("police"),
    )
    assert r.status_code == 422 and "submitted_on" in r.text
    r = await web.http.post(
        f"{steps}/submit-self-assessment",
        json=s11.assessment("POLICE") | {"submitted_on": s11.OPENED.isoformat()},
        headers=web.as_("executive"),
    )
    assert r.status_code == 403 and r.json()["rule"] == "read_only_role"
    assert web.recorded() == before  # no refusal recorded anything
    r = await web.http.post(
        f"{steps}/submit-self-assessment",
        json={**s11.assessment("POLICE"), "submitted_on": s11.OPENED.isoformat()},
        headers=web.as_("police"),
    )
    assert r.status_code == 200, r.text
    assert list(r.json()["returns"]) == ["POLICE"]
    events = web.services.programme.history("GSCP", "section11", "S11-2026")
    assert [e.event for e in events].count("SelfAssessmentSubmitted") == 1
    assert events[-1].actor["subject"] == "local:police"
    r = await web.http.get(f"{base}/section11-cycles/S11-2026", headers=web.as_("outsider"))
    assert r.status_code == 403 and r.json()["rule"] == "same_partnership"


def _form(page: str, slug: str) -> dict[str, str]:
    """The hidden fields of the step form ``slug`` on ``page`` (CSRF and a fresh key)."""
    form = page.split(f'/steps/{slug}"', 1)[1].split("</form>", 1)[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert csrf is not None and key is not None, slug
    return {"csrf_token": csrf.group(1), "idempotency_key": key.group(1)}


async def test_lifecycle_3_steps_through_the_pages_forms(web: Web) -> None:
    """The Section 11 cycle's steps as GOV.UK forms without JavaScript: a refusal by a
    rule, a bad date and another agency's answer each re-show the page with the error
    summary naming the field and the rule, and record nothing; a resent form records
    once; an agency's lead is offered only their agency's steps, a read-only role none."""
    record_a_year(web.services)
    svc = web.services.programme

    def events(name: str) -> int:
        return [e.event for e in svc.history("GSCP", "section11", "S11-2026")].count(name)

    before = len(svc.history("GSCP", "section11", "S11-2026"))
    url = "/section11/S11-2026/steps"

    await _sign_in(web, "executive")
    page = (await web.http.get("/section11/S11-2026", headers=HTML)).text
    assert "/steps/" not in page and "Record a step" not in page  # read only: no forms

    await _sign_in(web, "manager")
    page = (await web.http.get("/section11/S11-2026", headers=HTML)).text
    for slug in ("hold-challenge-event", "raise-s11-action", "report-to-board"):
        assert f'action="{url}/{slug}"' in page, slug
    # not offered while the state refuses it whatever is typed: the panel is held
    # already; the cycle cannot close before its report to the board
    for slug in ("hold-scrutiny-panel", "close-cycle"):
        assert f'action="{url}/{slug}"' not in page, slug
    for page_url, slug in (
        ("/programme?year=2026", "/programme/2026/steps/skip-programme-occurrence"),
        ("/subgroups/QIIP", "/subgroups/QIIP/steps/record-meeting"),
        ("/scorecards/GSCP-SC", "/scorecards/GSCP-SC/steps/return-value"),
    ):
        shown = (await web.http.get(page_url, headers=HTML)).text
        assert "Record a step" in shown and f'action="{slug.rsplit("/", 1)[0]}/' in shown

    # refused by a rule on what was typed: a challenge event before the panel (1 Jul)
    r = await web.http.post(
        f"{url}/hold-challenge-event",
        data=_form(page, "hold-challenge-event") | {"agency": "LA", "held_on": "2026-06-20"},
        headers=HTML,
    )
    assert r.status_code == 409 and "govuk-error-summary" in r.text, r.text
    assert 'data-field="held_on" data-rule="chronology"' in r.text
    assert '<details class="govuk-details" id="step-hold-challenge-event" open>' in r.text
    # a step the state refuses, sent anyway (an old form, the API): refused, named
    r = await web.http.post(
        f"{url}/close-cycle",
        data=_form(page, "hold-challenge-event") | {"closed_on": "2026-07-20"},
        headers=HTML,
    )
    assert r.status_code == 409 and 'data-rule="report_first"' in r.text, r.text
    # a day that is not a day: 422 naming the field, the value kept in the form
    form = _form(page, "hold-challenge-event")
    r = await web.http.post(
        f"{url}/hold-challenge-event",
        data=form | {"agency": "LA", "held_on": "31/02/2026"},
        headers=HTML,
    )
    assert r.status_code == 422 and 'data-field="held_on"' in r.text, r.text
    assert len(svc.history("GSCP", "section11", "S11-2026")) == before

    # recorded, then the same form sent again (same key): once
    fields = form | {"agency": "LA", "held_on": "2026-07-10"}
    for _ in range(2):
        r = await web.http.post(f"{url}/hold-challenge-event", data=fields, headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/section11/S11-2026", r.text
    assert events("ChallengeEventHeld") == 1
    assert svc.history("GSCP", "section11", "S11-2026")[-1].actor["subject"] == "local:manager"
    shown = (await web.http.get("/section11/S11-2026", headers=HTML)).text
    assert "LA 10 Jul 2026" in shown

    # the police's lead: their agency's steps only, and only for their agency
    await _sign_in(web, "police")
    page = (await web.http.get("/section11/S11-2026", headers=HTML)).text
    assert f'action="{url}/submit-self-assessment"' in page
    assert (
        f'action="{url}/close-cycle"' not in page and f'action="{url}/report-to-board"' not in page
    )
    ratings = "\n".join(f"{code}, green" for code in STANDARDS)
    evidence = "\n".join(f"{code}, Police policy pack {code}" for code in STANDARDS)
    answer = {"ratings": ratings, "evidence": evidence, "submitted_on": "2026-06-20"}
    r = await web.http.post(
        f"{url}/submit-self-assessment",
        data=_form(page, "submit-self-assessment") | answer | {"agency": "LA"},
        headers=HTML,
    )
    assert r.status_code == 403 and 'data-rule="own_agency_answer"' in r.text, r.text
    assert events("SelfAssessmentSubmitted") == 2
    r = await web.http.post(
        f"{url}/submit-self-assessment",
        data=_form(page, "submit-self-assessment") | answer | {"agency": "POLICE"},
        headers=HTML,
    )
    assert r.status_code == 303, r.text
    assert events("SelfAssessmentSubmitted") == 3
    shown = (await web.http.get("/section11/S11-2026", headers=HTML)).text
    assert 'data-returned="3"' in shown

    # a form without its session's CSRF token records nothing
    r = await web.http.post(
        f"{url}/hold-challenge-event",
        data={"csrf_token": "forged", "agency": "POLICE", "held_on": "2026-07-11"},
        headers=HTML,
    )
    assert r.status_code == 403 and events("ChallengeEventHeld") == 1

    # a read-only role and another partnership's manager record nothing through a form
    for who, status, rule in (("auditor", 403, "read_only_role"), ("outsider", 404, "")):
        csrf = await _sign_in(web, who)
        r = await web.http.post(
            f"{url}/hold-challenge-event",
            data={"csrf_token": csrf, "agency": "POLICE", "held_on": "2026-07-11"},
            headers=HTML,
        )
        assert r.status_code == status and f'data-rule="{rule}' in r.text, (who, r.text)
    assert events("ChallengeEventHeld") == 1


async def test_lifecycle_3_records_are_opened_from_their_forms(web: Web) -> None:
    """``/programme/new`` (from a timetable template), ``/section11/new``,
    ``/subgroups/new``, ``/scorecards/new``: refusals in the error summary with nothing
    recorded; a form sent twice opens once; an agency's lead is not offered them."""
    from datetime import date

    from tests import test_section11 as s11

    await _sign_in(web, "police")
    r = await web.http.get("/section11/new", headers=HTML)
    assert r.status_code == 403 and 'data-rule="agency_lead_answers_only"' in r.text

    csrf = await _sign_in(web, "manager")
    oversight = (await web.http.get("/oversight", headers=HTML)).text
    for path in ("/programme/new", "/section11/new", "/subgroups/new", "/scorecards/new"):
        assert f'href="{path}"' in oversight, path
        form = await web.http.get(path, headers=HTML)
        assert form.status_code == 200 and 'name="partnership"' not in form.text, path

    cycle = {
        "csrf_token": csrf,
        "idempotency_key": "open-s11-form",
        "cycle_ref": "S11-2030",
        "cycle_year": "1",
        "opened_on": s11.OPENED.isoformat(),
        "returns_due_on": (s11.OPENED.replace(day=1)).isoformat(),  # before it opens
    }
    r = await web.http.post("/section11/new", data=cycle, headers=HTML)
    assert r.status_code == 422 and 'data-field="returns_due_on"' in r.text, r.text
    cycle["returns_due_on"] = s11.DUE.isoformat()
    for _ in range(2):
        r = await web.http.post("/section11/new", data=cycle, headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/section11/S11-2030", r.text
    events = web.services.programme.history("GSCP", "section11", "S11-2030")
    assert [e.event for e in events] == ["Section11CycleOpened"]
    shown = (await web.http.get("/section11/S11-2030", headers=HTML)).text
    assert "LA, HEALTH, POLICE" in shown  # year 1's statutory partners

    programme = {
        "csrf_token": csrf,
        "idempotency_key": "open-programme-form",
        "year": "2031",
        "decided_on": date.today().isoformat(),
        "template": "no-such-timetable",
    }
    r = await web.http.post("/programme/new", data=programme, headers=HTML)
    assert r.status_code == 422 and 'data-rule="known_template"' in r.text, r.text
    r = await web.http.post(
        "/programme/new", data=programme | {"template": "seed-002"}, headers=HTML
    )
    assert r.status_code == 303 and r.headers["location"] == "/programme?year=2031", r.text
    assert len(web.services.programme.programme("GSCP", 2031).entries) == 12

    group = {
        "csrf_token": csrf,
        "idempotency_key": "form-subgroup-form",
        "group_ref": "CSE",
        "name": "Exploitation subgroup",
        "chair": "Detective Superintendent",
        "members": "LA\nPOLICE\nICB",
        "lead_partners": "LA\nPOLICE\nICB",
        "formed_on": "2026-04-01",
    }
    r = await web.http.post("/subgroups/new", data=group, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/subgroups/CSE", r.text
    card = {
        "csrf_token": csrf,
        "idempotency_key": "open-scorecard-form",
        "scorecard_ref": "CSE-SC",
        "subgroup_ref": "CSE",
        "opened_on": "2026-04-02",
    }
    r = await web.http.post("/scorecards/new", data=card, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == "/scorecards/CSE-SC", r.text
    assert (await web.http.get("/scorecards/CSE-SC", headers=HTML)).status_code == 200
