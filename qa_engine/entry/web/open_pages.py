"""Opening a record from the pages: ``/records/{segment}/new`` (no JavaScript).

    /records/reviews/new        report a serious incident (opens the case)
    /records/audits/new         plan an audit
    /records/action-plans/new   open the action plan of a review case

The form is made from the opening command (``routes.OPENERS``) as a step's form is,
less the partnership (the signed-in principal's). It goes through the API's one way
(``routes.open_new_record``, under the same idempotency store as the API's
``Idempotency-Key``: a form sent twice opens once and lands on the same record). Only
someone who may open records sees the form (not a read-only role, not an agency's
safeguarding lead: 403 naming the rule). A refusal re-shows the form with the error
summary naming the field and the rule; nothing is recorded. A child of concern is
opened from its audit (the audit's ``escalate_child`` step), not here.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.errors import CaseNotFound, DomainError
from domain.tenancy import OutsideScope, Principal
from qa_engine.entry.acting import actor_for, check_tenant
from qa_engine.entry.web.auth import signed_in
from qa_engine.entry.web.lifecycles import RESOURCES
from qa_engine.entry.web.pages import (
    expired,
    form_data,
    form_fields,
    page,
    refused,
    signed_in_or_none,
    to_sign_in,
)
from qa_engine.entry.web.problems import Unauthorized, _field_problems
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


def _fields(kind: str) -> list[dict[str, Any]]:
    return [f for f in form_fields(OPENERS[kind]) if f["name"] != "partnership"]


def open_pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def show(
        request: Request,
        principal: Principal,
        segment: str,
        *,
        errors: list[dict[str, str]] | None = None,
        values: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        kind = RESOURCES.get(segment)
        if kind not in OPENERS:
            e = CaseNotFound(f"no record is opened here: {segment}", field="records", rule="known")
            return refused(request, principal, e, 404)
        try:
            await may_open(principal)
        except OutsideScope as e:
            return refused(request, principal, e, 403)
        heading, lead, button = WORDS[kind]
        return page(
            request,
            principal,
            "new_record.html",
            title=heading,
            heading=heading,
            lead=lead,
            button=button,
            segment=segment,
            fields=_fields(kind),
            key=secrets.token_urlsafe(16),
            errors=errors or [],
            values=values or {},
            status=status,
        )

    @router.get("/records/{segment}/new")
    async def new_record(request: Request, segment: str) -> Response:
        principal = await signed_in_or_none(request)
        if principal is None:
            return to_sign_in()
        return await show(request, principal, segment)

    @router.post("/records/{segment}/new")
    async def open_record(request: Request, segment: str) -> Response:
        try:
            principal = await signed_in(request)  # checks the form's CSRF token
        except Unauthorized:
            return to_sign_in()
        except OutsideScope as e:
            return expired(e)
        kind = RESOURCES.get(segment)
        if kind not in OPENERS:
            return await show(request, principal, segment)
        command = OPENERS[kind]
        values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        key = values.get("idempotency_key") or None
        errors: list[dict[str, str]] = []
        status = 201
        try:
            await may_open(principal)
            partnership = check_tenant(principal, principal.partnership, what="partnership")
            data = {**form_data(command, values), "partnership": partnership}
            validated = command.model_validate({**data, "actor": actor_for(principal)})

            async def act() -> Any:
                return await open_new_record(request, kind, validated, partnership)

            answer = await idempotent(request, principal, key, validated, 201, act, replay=True)
        except ValidationError as e:
            errors = [p.model_dump() for p in _field_problems(list(e.errors()))]
            status = 422
        except DomainError as e:
            errors = [{"field": e.field or "", "rule": e.rule or "", "message": e.message}]
            status = 403 if isinstance(e, OutsideScope) else 409
        if errors:
            return await show(
                request, principal, segment, errors=errors, values=values, status=status
            )
        opened = orjson.loads(bytes(answer.body))
        ref = opened.get("case_ref") or opened.get("ref")
        return RedirectResponse(f"/records/{segment}/{ref}", status_code=303)

    return router
