"""Lifecycle 3's pages (read only), GOV.UK Frontend like the other pages:

    /programme?year=YYYY                 the QA programme: planned against done per month
    /section11/{ref}                     a Section 11 cycle: returns, RAG, panel, actions
    /subgroups/{ref}                     a subgroup: meetings with quoracy, decision and
                                         action logs, attendance by agency
    /scorecards/{ref}?quarter=…          a scorecard quarter: values, RAG, exceptions
    /board-pack?period=…                 the board pack with its charts, and its PDF
    /board-pack.pdf?period=…             the PDF (a download)

and, on the first four, a form for each step of the record (GOV.UK error summary,
no JavaScript), posted to ``…/{ref}/steps/{step}`` (``/programme/{year}/steps/…``):
the same service call, agency rule and idempotency the API's
``/partnerships/{p}/{segment}/{ref}/steps/{step}`` make. A read-only role gets no
forms; an agency's safeguarding lead only the steps that name an agency (their own:
``own_agency_answer``). A refusal re-shows the page with the error summary naming
the field and the rule, and nothing is recorded.

Each page shows the signed-in principal's own partnership only (the records are
looked up in it, so another partnership's reference is simply not found); what
they show is what ``qa-engine programme show`` and its siblings print. The board
pack is the figures the API route and the CLI make (``projections.board``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from domain.calendar import LONDON
from domain.errors import CaseNotFound, DomainError
from domain.tenancy import Principal
from projections.board import render_pdf
from qa_engine.entry.acting import actor_for, check_tenant
from qa_engine.entry.web.board import board_pack_of
from qa_engine.entry.web.pages import (
    form_data,
    form_refusal,
    form_sender,
    offered,
    page,
    refused,
    signed_in_or_none,
    step_forms,
    to_sign_in,
)
from qa_engine.entry.web.programme_api import (
    KIND_OF,
    check_agency_answer,
    record_ref,
    sync_schedules,
)

__all__ = ["programme_pages_router"]

MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Form:
    """A step form sent back with its errors (the page shows them and the values)."""

    errors: list[dict[str, str]]
    step: str
    values: dict[str, str]
    status: int


async def _read(
    request: Request,
    template: str,
    title: str,
    read: Callable[[Any, Any], dict[str, Any]],
    *,
    kind: str = "",
    action: str = "",
    form: Form | None = None,
    principal: Principal | None = None,
) -> Response:
    """Sign-in check, then ``read(services, principal)`` in a thread; a record not
    found in the principal's partnership is a 404 page, a bad query a 422 page.
    ``kind``: the lifecycle-3 record whose step forms the page offers at ``action``."""
    principal = principal or await signed_in_or_none(request)
    if principal is None:
        return to_sign_in()
    services = request.app.state.ctx.services
    try:
        context = await run_in_threadpool(read, services, principal)
    except CaseNotFound as e:
        return refused(request, principal, e, 404)
    except DomainError as e:
        return refused(request, principal, e, 422)
    return page(
        request,
        principal,
        template,
        title=title,
        steps=_steps(principal, kind, context, form.step if form else "") if kind else [],
        action=action,
        errors=form.errors if form else [],
        open_step=form.step if form else "",
        values=form.values if form else {},
        status=form.status if form else 200,
        **context,
    )


def _steps(
    principal: Principal, kind: str, context: dict[str, Any], keep: str
) -> list[dict[str, Any]]:
    """The step forms the principal may send: none for a read-only role; the steps the
    record allows now; an agency's lead only the steps naming an agency."""
    try:
        actor_for(principal)
    except DomainError:
        return []
    state = context.get("s") or context.get("state")
    today = datetime.now(LONDON).date()
    commands = KIND_OF[kind].commands
    answers = frozenset({"agency", "owner_agency"})  # check_agency_answer's
    return step_forms(offered(principal, state, commands, today, keep=keep, answers=answers))


async def _record_step(
    request: Request, kind: str, ref: str, slug: str, again: Callable[..., Any], back: str
) -> Response:
    """Record one step from its form; on a refusal ``again(request, form=…)`` re-shows
    the page with the error summary; on success, back to the page (``back``)."""
    principal = await form_sender(request)
    if isinstance(principal, Response):
        return principal
    spec = KIND_OF[kind]
    step = slug.replace("-", "_")
    command_type = spec.commands.get(step)
    if command_type is None:
        unknown = CaseNotFound(f"no such step of a {spec.noun}: {slug}", field="step", rule="known")
        return refused(request, principal, unknown, 404)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    key = values.get("idempotency_key") or secrets.token_urlsafe(16)
    errors: list[dict[str, str]] = []
    status = 200
    try:
        check_tenant(principal, principal.partnership, what="partnership")
        command = command_type.model_validate(
            {**form_data(command_type, values), "actor": actor_for(principal)}
        )
        check_agency_answer(principal, spec, command)
        services = request.app.state.ctx.services
        record: Callable[..., Any] = getattr(services.programme, f"record_{kind}_step")
        target = record_ref(spec, ref)
        state = await run_in_threadpool(
            lambda: record(
                principal.partnership,
                target,
                step,
                command,
                key=f"web/{principal.subject}/{key}",
                today=datetime.now(LONDON).date(),
            )
        )
        if kind == "programme":
            await sync_schedules(request, state)
    except (ValidationError, DomainError) as e:
        errors, status = form_refusal(e)
    if errors:
        result: Response = await again(
            request, form=Form(errors, step, values, status), principal=principal
        )
        return result
    return RedirectResponse(back, status_code=303)


def programme_pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def programme_page(
        request: Request,
        year: int | None = None,
        *,
        form: Form | None = None,
        principal: Principal | None = None,
    ) -> Response:
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

        return await _read(
            request,
            "programme.html",
            f"QA programme {chosen}",
            read,
            kind="programme",
            action=f"/programme/{chosen}/steps/",
            form=form,
            principal=principal,
        )

    @router.get("/programme")
    async def programme_get(request: Request, year: int | None = None) -> Response:
        return await programme_page(request, year)

    @router.post("/programme/{year}/steps/{slug}")
    async def programme_step(request: Request, year: int, slug: str) -> Response:
        async def again(request: Request, **form: Any) -> Response:
            return await programme_page(request, year, **form)

        return await _record_step(
            request, "programme", str(year), slug, again, f"/programme?year={year}"
        )

    async def section11_page(
        request: Request,
        ref: str,
        *,
        form: Form | None = None,
        principal: Principal | None = None,
    ) -> Response:
        def read(services: Any, principal: Any) -> dict[str, Any]:
            state = services.programme.section11(principal.partnership, ref)
            return {
                "s": state,
                "rag": state.rag_counts(),
                "outstanding": state.outstanding(),
                "open_actions": {a.id for a in state.open_actions()},
            }

        return await _read(
            request,
            "section11.html",
            f"Section 11 cycle {ref.upper()}",
            read,
            kind="section11",
            action=f"/section11/{ref.upper()}/steps/",
            form=form,
            principal=principal,
        )

    async def subgroup_page(
        request: Request,
        ref: str,
        year: int | None = None,
        *,
        form: Form | None = None,
        principal: Principal | None = None,
    ) -> Response:
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

        return await _read(
            request,
            "subgroup.html",
            f"Subgroup {ref.upper()}",
            read,
            kind="subgroup",
            action=f"/subgroups/{ref.upper()}/steps/",
            form=form,
            principal=principal,
        )

    async def scorecard_page(
        request: Request,
        ref: str,
        quarter: str = "",
        *,
        form: Form | None = None,
        principal: Principal | None = None,
    ) -> Response:
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

        return await _read(
            request,
            "scorecard.html",
            f"Scorecard {ref.upper()}",
            read,
            kind="scorecard",
            action=f"/scorecards/{ref.upper()}/steps/",
            form=form,
            principal=principal,
        )

    @router.get("/section11/{ref}")
    async def section11_get(request: Request, ref: str) -> Response:
        return await section11_page(request, ref)

    @router.get("/subgroups/{ref}")
    async def subgroup_get(request: Request, ref: str, year: int | None = None) -> Response:
        return await subgroup_page(request, ref, year)

    @router.get("/scorecards/{ref}")
    async def scorecard_get(request: Request, ref: str, quarter: str = "") -> Response:
        return await scorecard_page(request, ref, quarter)

    _post_step(router, "section11", "section11", section11_page)
    _post_step(router, "subgroups", "subgroup", subgroup_page)
    _post_step(router, "scorecards", "scorecard", scorecard_page)

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


def _post_step(router: APIRouter, segment: str, kind: str, show: Callable[..., Any]) -> None:
    @router.post(f"/{segment}/{{ref}}/steps/{{slug}}", name=f"{kind}_step_form")
    async def step(request: Request, ref: str, slug: str) -> Response:
        async def again(request: Request, **form: Any) -> Response:
            result: Response = await show(request, ref, **form)
            return result

        return await _record_step(request, kind, ref, slug, again, f"/{segment}/{ref.upper()}")


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
