"""Lifecycle 3's pages (read only), GOV.UK Frontend like the other pages:

    /programme?year=YYYY                 the QA programme: planned against done per month
    /section11/{ref}                     a Section 11 cycle: returns, RAG, panel, actions
    /subgroups/{ref}                     a subgroup: meetings with quoracy, decision and
                                         action logs, attendance by agency
    /scorecards/{ref}?quarter=…          a scorecard quarter: values, RAG, exceptions
    /board-pack?period=…                 the board pack with its charts, and its PDF
    /board-pack.pdf?period=…             the PDF (a download)

Each page shows the signed-in principal's own partnership only (the records are
looked up in it, so another partnership's reference is simply not found); what
they show is what ``qa-engine programme show`` and its siblings print. The board
pack is the figures the API route and the CLI make (``projections.board``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup

from domain.calendar import LONDON
from domain.errors import CaseNotFound, DomainError
from projections.board import render_pdf
from qa_engine.entry.web.board import board_pack_of
from qa_engine.entry.web.pages import page, refused, signed_in_or_none, to_sign_in

__all__ = ["programme_pages_router"]

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


async def _read(
    request: Request, template: str, title: str, read: Callable[[Any, Any], dict[str, Any]]
) -> Response:
    """Sign-in check, then ``read(services, principal)`` in a thread; a record not
    found in the principal's partnership is a 404 page, a bad query a 422 page."""
    principal = await signed_in_or_none(request)
    if principal is None:
        return to_sign_in()
    services = request.app.state.ctx.services
    try:
        context = await run_in_threadpool(read, services, principal)
    except CaseNotFound as e:
        return refused(request, principal, e, 404)
    except DomainError as e:
        return refused(request, principal, e, 422)
    return page(request, principal, template, title=title, **context)


def programme_pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/programme")
    async def programme_page(request: Request, year: int | None = None) -> Response:
        chosen = year or datetime.now(LONDON).year

        def read(services: Any, principal: Any) -> dict[str, Any]:
            state = services.programme.programme(principal.partnership, chosen)
            months = state.month_view()
            return {
                "year": chosen,
                "state": state,
                "months": months,
                "month_names": MONTH_NAMES,
                "totals": {
                    k: sum(getattr(m, k) for m in months)
                    for k in ("planned", "opened", "done", "skipped")
                },
            }

        return await _read(request, "programme.html", f"QA programme {chosen}", read)

    @router.get("/section11/{ref}")
    async def section11_page(request: Request, ref: str) -> Response:
        def read(services: Any, principal: Any) -> dict[str, Any]:
            state = services.programme.section11(principal.partnership, ref)
            return {
                "s": state,
                "rag": state.rag_counts(),
                "outstanding": state.outstanding(),
                "open_actions": {a.id for a in state.open_actions()},
            }

        return await _read(request, "section11.html", f"Section 11 cycle {ref.upper()}", read)

    @router.get("/subgroups/{ref}")
    async def subgroup_page(request: Request, ref: str, year: int | None = None) -> Response:
        chosen = year or datetime.now(LONDON).year

        def read(services: Any, principal: Any) -> dict[str, Any]:
            state = services.programme.subgroup(principal.partnership, ref)
            meetings = sorted(
                state.meetings.values(), key=lambda m: (m.held_on or m.scheduled_on, m.ref)
            )
            return {
                "s": state,
                "meetings": meetings,
                "attendance": state.attendance(chosen),
                "year": chosen,
            }

        return await _read(request, "subgroup.html", f"Subgroup {ref.upper()}", read)

    @router.get("/scorecards/{ref}")
    async def scorecard_page(request: Request, ref: str, quarter: str = "") -> Response:
        def read(services: Any, principal: Any) -> dict[str, Any]:
            state = services.programme.scorecard(principal.partnership, ref)
            quarters = sorted({q for by_q in state.values.values() for q in by_q})
            chosen = " ".join(quarter.split()).upper() or (quarters[-1] if quarters else "")
            rows = []
            for code, ind in sorted(state.indicators.items()):
                v = state.values.get(code, {}).get(chosen)
                trend = {p.quarter: p for p in state.trend(code)} if code in state.values else {}
                rows.append(
                    {
                        "ind": ind,
                        "value": v,
                        "rag": ind.rag(v.value) if v else None,
                        "change": trend[chosen].change if v else None,
                    }
                )
            return {
                "s": state,
                "quarter": chosen,
                "quarters": quarters,
                "rows": rows,
                "exceptions": state.exceptions(chosen) if chosen else [],
            }

        return await _read(request, "scorecard.html", f"Scorecard {ref.upper()}", read)

    @router.get("/board-pack")
    async def board_pack_page(request: Request, period: str = "") -> Response:
        from projections.board import render_html

        def read(services: Any, principal: Any) -> dict[str, Any]:
            if not period:
                return {"period": "", "document": None, "pack": None}
            pack = board_pack_of(services, principal.partnership, period)
            document = render_html(pack)
            body = document[document.index("<body>") + 6 : document.rindex("</body>")]
            return {"period": pack.period, "document": Markup(_govuk(body)), "pack": pack}

        return await _read(request, "board_pack.html", "Board pack", read)

    @router.get("/board-pack.pdf")
    async def board_pack_pdf(request: Request, period: str = "") -> Response:
        principal = await signed_in_or_none(request)
        if principal is None:
            return to_sign_in()
        services = request.app.state.ctx.services
        try:
            pack = await run_in_threadpool(board_pack_of, services, principal.partnership, period)
        except DomainError as e:
            return refused(request, principal, e, 422)
        pdf = await run_in_threadpool(render_pdf, pack)
        name = f"board-pack-{pack.partnership}-{pack.period.replace('/', '-').replace(' ', '-')}"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )

    return router


def _govuk(body: str) -> str:
    """The pack's plain HTML with GOV.UK classes (every value in it is escaped already)."""
    for tag, cls in (
        ("<h1>", '<h2 class="govuk-heading-l">'),
        ("</h1>", "</h2>"),
        ("<h2>", '<h2 class="govuk-heading-m">'),
        ("<h3>", '<h3 class="govuk-heading-s">'),
        ("<p>", '<p class="govuk-body">'),
        ("<table>", '<table class="govuk-table">'),
        ("<thead>", '<thead class="govuk-table__head">'),
        ("<tbody>", '<tbody class="govuk-table__body">'),
        ("<tr>", '<tr class="govuk-table__row">'),
        ("<th>", '<th scope="col" class="govuk-table__header">'),
        ("<td>", '<td class="govuk-table__cell">'),
    ):
        body = body.replace(tag, cls)
    return body
