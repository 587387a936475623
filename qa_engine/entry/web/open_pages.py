"""Opening a record from the pages: ``/records/{segment}/new`` (no JavaScript).

    /records/reviews/new        report a serious incident (opens the case)
    /records/audits/new         plan an audit
    /records/action-plans/new   open the action plan of a review case
    /section11/new              open a Section 11 cycle year
    /subgroups/new              form a subgroup
    /scorecards/new             open a scorecard
    /programme/new              open a QA programme year from a timetable template

The form is made from the opening command (``routes.OPENERS``) as a step's form is,
less the partnership (the signed-in principal's). It goes through the API's one way
(``routes.open_new_record``; lifecycle 3: ``programme_api.open_lifecycle_3``), under
the same idempotency store as the API's
``Idempotency-Key``: a form sent twice opens once and lands on the same record). Only
someone who may open records sees the form (not a read-only role, not an agency's
safeguarding lead: 403 naming the rule). A refusal re-shows the form with the error
summary naming the field and the rule; nothing is recorded. A child of concern is
opened from its audit (the audit's ``escalate_child`` step), not here.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.errors import DomainError, InvalidInput
from domain.programme.template import TEMPLATES
from domain.tenancy import OutsideScope, Principal
from domain.values import Command
from qa_engine.entry.acting import actor_for, check_tenant
from qa_engine.entry.web.lifecycles import RESOURCES
from qa_engine.entry.web.pages import (
    form_data,
    form_fields,
    form_refusal,
    form_sender,
    page,
    refused,
    signed_in_or_none,
    to_sign_in,
)
from qa_engine.entry.web.programme_api import KIND_OF, Kind, open_lifecycle_3
from qa_engine.entry.web.routes import OPENERS, idempotent, may_open, open_new_record

__all__ = ["open_pages_router"]

#: kind -> (heading, what the form does, its button)
WORDS = {
    "review": (
        "Report a serious incident",
        "A serious incident notification opens the case and starts its statutory clocks "
        "(notify the national Panel, inform the safeguarding partners). Use references, "
        "never names.",
        "Report the incident",
    ),
    "audit": (
        "Plan an audit",
        "Planning an audit opens it: the agencies are asked for their returns once the "
        "sample is drawn.",
        "Plan the audit",
    ),
    "actionplan": (
        "Open an action plan",
        "An action plan of a review case: one action per recommendation recorded on it.",
        "Open the action plan",
    ),
}


#: lifecycle 3's pages -> (the kind, its reference field, where the record is shown)
LIFECYCLE_3: dict[str, tuple[Kind, str, str]] = {
    "section11": (KIND_OF["section11"], "cycle_ref", "/section11/{}"),
    "subgroups": (KIND_OF["subgroup"], "group_ref", "/subgroups/{}"),
    "scorecards": (KIND_OF["scorecard"], "scorecard_ref", "/scorecards/{}"),
    "programme": (KIND_OF["programme"], "year", "/programme?year={}"),
}
WORDS_3 = {
    "section11": (
        "Open a Section 11 cycle",
        "A cycle year asks its agencies (year 1 the statutory partners, year 2 the others, "
        "unless named) for a self-assessment by the returns day.",
        "Open the cycle",
    ),
    "subgroups": (
        "Form a subgroup",
        "A group that meets: its member agencies and the lead partners its quorum needs.",
        "Form the subgroup",
    ),
    "scorecards": (
        "Open a scorecard",
        "A quarterly scorecard; its exceptions go onto the named subgroup's next agenda.",
        "Open the scorecard",
    ),
    "programme": (
        "Open a QA programme year",
        "The year's timetable from a template; a Temporal Schedule then opens each audit, "
        "meeting and report when it falls due.",
        "Open the programme",
    ),
}


def _fields(command: type[Command]) -> list[dict[str, Any]]:
    fields = [f for f in form_fields(command) if f["name"] not in ("partnership", "entries")]
    if command is KIND_OF["programme"].opener:
        fields.append(
            {
                "name": "template",
                "label": "Timetable",
                "hint": "the programme's entries, from a template (change them after)",
                "required": True,
                "type": "select",
                "options": sorted(TEMPLATES),
                "parts": [],
            }
        )
    return fields


@dataclass(frozen=True)
class Opening:
    """One kind of record opened from a page: its form and where it lands."""

    path: str  # the form's address
    command: type[Command]
    words: tuple[str, str, str]  # heading, what it does, button
    #: (request, the validated command, its partnership, the form's key) -> its state
    open: Callable[[Request, Command, str, str], Awaitable[Any]]
    #: the opened record's state (JSON) -> its page
    lands: Callable[[dict[str, Any]], str]


def _record_page(segment: str, state: dict[str, Any]) -> str:
    return f"/records/{segment}/{state.get('case_ref') or state.get('ref')}"


def _page_3(shown: str, ref_field: str, state: dict[str, Any]) -> str:
    return shown.format(state.get("year") if ref_field == "year" else state.get("ref"))


def _openings() -> dict[str, Opening]:
    out = {}
    for segment, kind in RESOURCES.items():
        if kind not in OPENERS:
            continue

        async def open_it(
            request: Request, c: Command, partnership: str, key: str, kind: str = kind
        ) -> Any:
            return await open_new_record(request, kind, c, partnership)

        out[f"/records/{segment}/new"] = Opening(
            f"/records/{segment}/new",
            OPENERS[kind],
            WORDS[kind],
            open_it,
            partial(_record_page, segment),
        )
    for page_segment, (spec, ref_field, shown) in LIFECYCLE_3.items():

        async def open_3(
            request: Request, c: Command, partnership: str, key: str, spec: Kind = spec
        ) -> Any:
            principal = request.state.signed.principal
            return await open_lifecycle_3(request, spec, c, f"web/{principal.subject}/{key}")

        out[f"/{page_segment}/new"] = Opening(
            f"/{page_segment}/new",
            spec.opener,
            WORDS_3[page_segment],
            open_3,
            partial(_page_3, shown, ref_field),
        )
    return out


def open_pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for opening in _openings().values():
        _register(router, opening)
    return router


def _register(router: APIRouter, opening: Opening) -> None:
    async def show(
        request: Request,
        principal: Principal,
        *,
        errors: list[dict[str, str]] | None = None,
        values: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        try:
            await may_open(principal)
        except OutsideScope as e:
            return refused(request, principal, e, 403)
        heading, lead, button = opening.words
        return page(
            request,
            principal,
            "new_record.html",
            title=heading,
            heading=heading,
            lead=lead,
            button=button,
            action=opening.path,
            fields=_fields(opening.command),
            key=secrets.token_urlsafe(16),
            errors=errors or [],
            values=values or {},
            status=status,
        )

    @router.get(opening.path)
    async def new_record(request: Request) -> Response:
        principal = await signed_in_or_none(request)
        if principal is None:
            return to_sign_in()
        return await show(request, principal)

    @router.post(opening.path)
    async def open_record(request: Request) -> Response:
        principal = await form_sender(request)
        if isinstance(principal, Response):
            return principal
        command = opening.command
        values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        key = values.get("idempotency_key") or secrets.token_urlsafe(16)
        errors: list[dict[str, str]] = []
        status = 201
        try:
            await may_open(principal)
            partnership = check_tenant(principal, principal.partnership, what="partnership")
            data = {**form_data(command, values), "partnership": partnership}
            template = values.get("template")
            if "entries" in command.model_fields and template:
                if template not in TEMPLATES:
                    raise InvalidInput(
                        f"no such timetable: {template}", field="template", rule="known_template"
                    )
                data["entries"] = [e.model_dump() for e in TEMPLATES[template]()]
            validated = command.model_validate({**data, "actor": actor_for(principal)})

            async def act() -> Any:
                return await opening.open(request, validated, partnership, key)

            answer = await idempotent(request, principal, key, validated, 201, act, replay=True)
        except (ValidationError, DomainError) as e:
            errors, status = form_refusal(e)
        if errors:
            return await show(request, principal, errors=errors, values=values, status=status)
        return RedirectResponse(opening.lands(orjson.loads(bytes(answer.body))), status_code=303)
