"""``/partnerships/{p}/contacts``: who the reminder, request and escalation emails go
to, held as recorded decisions of the partnership (``Partnership.ContactsSet``).

``GET`` lists the contacts in force (per role of the partnership, or of one agency),
each with who decided it, when and why; ``POST`` records a decision replacing one
role's addresses. Read by the business manager, operations and auditors; changed by
the business manager or operations (``entry.acting.check_contacts``). The sender reads
them when it sends (``entry.mailer``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from domain.partnership import SetContacts, contact_key
from domain.tenancy import Principal
from qa_engine.entry.acting import actor_for, check_contacts
from qa_engine.entry.web.auth import signed_in
from qa_engine.entry.web.problems import Problem
from qa_engine.entry.web.routes import IdempotencyKey, idempotent, in_partnership

__all__ = ["ContactEntry", "contacts_router"]


class ContactEntry(BaseModel):
    """Who is told for one role, as last decided."""

    role: str = Field(description="the role told, as the clocks name it")
    agency: str | None = Field(description="the agency whose role it is (none: the partnership's)")
    addresses: list[str] = Field(description="the addresses told (empty: nobody)")
    decided_by: str | None = Field(description="who recorded the decision")
    decided_at: datetime = Field(description="when it was recorded")
    reason: str = Field(description="why, as recorded")


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "outside your partnership, or not your role"},
    422: {"model": Problem, "description": "invalid input"},
}


def _entries(services: Any, partnership: str) -> list[ContactEntry]:
    held = services.partnerships.contacts(partnership)
    latest: dict[str, dict[str, Any]] = {}
    for d in services.partnerships.contact_decisions(partnership):
        latest[contact_key(d["role"], d["agency"])] = d
    return [
        ContactEntry(
            role=d["role"],
            agency=d["agency"],
            addresses=held.get(key, []),
            decided_by=d["actor"].get("name"),
            decided_at=datetime.fromisoformat(d["recorded_at"]),
            reason=d["reason"],
        )
        for key, d in sorted(latest.items())
    ]


async def may_change_contacts(principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
    """Before the body is read: read-only roles never write (``read_only_role``), and
    only the business manager or operations change contacts (``contacts_change_role``)."""
    actor_for(principal)
    check_contacts(principal, write=True)
    return principal


def contacts_router() -> APIRouter:
    router = APIRouter(tags=["partnership"])

    @router.get(
        "/partnerships/{p}/contacts",
        response_model=list[ContactEntry],
        responses=_ERRORS,
        summary="who the reminder, request and escalation emails go to (recorded decisions)",
    )
    async def contacts(
        request: Request,
        principal: Annotated[Principal, Depends(signed_in)],
        partnership: Annotated[str, Depends(in_partnership)],
    ) -> list[ContactEntry]:
        check_contacts(principal, write=False)
        services = request.app.state.ctx.services
        return await run_in_threadpool(_entries, services, partnership)

    @router.post(
        "/partnerships/{p}/contacts",
        response_model=list[ContactEntry],
        responses={
            **_ERRORS,
            409: {"model": Problem, "description": "refused by a rule (e.g. unchanged)"},
        },
        summary="record who is told for one role (of the partnership or an agency)",
    )
    async def set_contacts(
        request: Request,
        principal: Annotated[Principal, Depends(may_change_contacts)],
        partnership: Annotated[str, Depends(in_partnership)],
        body: SetContacts,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        actor = actor_for(principal)
        services = request.app.state.ctx.services

        def record() -> list[ContactEntry]:
            services.partnerships.set_contacts(partnership, body, actor=actor)
            return _entries(services, partnership)

        async def act() -> list[dict[str, Any]]:
            return [e.model_dump(mode="json") for e in await run_in_threadpool(record)]

        return await idempotent(request, principal, idempotency_key, body, 200, act, replay=True)

    return router
