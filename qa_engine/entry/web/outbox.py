"""``GET /partnerships/{p}/outbox``: where each reminder, breach and escalation email
stands (pending, sent, retrying, failed, nobody to tell), for the partnership's staff.

The rows hold no addresses and no personal data (see ``projections.outbox``). An
agency's safeguarding lead sees only the emails addressed to their agency
(``projections.outbox.for_agencies``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from domain.tenancy import Principal
from projections.outbox import for_agencies, outbox_rows
from qa_engine.entry.acting import scope_for
from qa_engine.entry.web.auth import signed_in
from qa_engine.entry.web.problems import Problem
from qa_engine.entry.web.routes import in_partnership

__all__ = ["OutboxEntry", "outbox_router"]


class OutboxEntry(BaseModel):
    """One email of the outbox: what it is about and where its delivery stands."""

    kind: str = Field(description="the record's lifecycle: review, audit, actionplan, ...")
    ref: str = Field(description="the record's reference")
    what: str = Field(
        description="request (an agency was asked), reminder (before the due day) or "
        "escalation (after it)"
    )
    step: str = Field(description="the clock's key")
    step_label: str = Field(description="the step in plain words")
    due_on: date = Field(description="the step's due day")
    status: str = Field(
        description="pending, sending, sent, failed, no_recipient (nobody held to tell) "
        "or stale (older than the outbox; never sent)"
    )
    attempts: int = Field(description="delivery attempts so far")
    last_error: str | None = Field(description="the last failure, if any")
    sent_at: datetime | None = Field(description="when the SMTP server accepted it")
    recipients: int = Field(description="how many addresses it went to")


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "outside your partnership"},
    422: {"model": Problem, "description": "invalid query"},
}


def outbox_router() -> APIRouter:
    router = APIRouter()

    @router.get(
        "/partnerships/{p}/outbox",
        tags=["oversight"],
        response_model=list[OutboxEntry],
        responses=_ERRORS,
        summary="reminder and escalation emails: delivery status, newest first",
    )
    async def outbox(
        request: Request,
        principal: Annotated[Principal, Depends(signed_in)],
        partnership: Annotated[str, Depends(in_partnership)],
        status: Annotated[
            str | None,
            Query(
                pattern="^(pending|sending|sent|failed|no_recipient|stale)$",
                description="only rows with this status",
            ),
        ] = None,
    ) -> list[OutboxEntry]:
        scope = scope_for(principal)
        ctx = request.app.state.ctx

        def read() -> list[OutboxEntry]:
            runner = ctx.caught_up_runner()
            with runner.db.read() as cur:
                rows = outbox_rows(cur, partnership=partnership, status=status)
            if scope is not None and scope.agencies is not None:
                rows = for_agencies(rows, scope.agencies)
            return [
                OutboxEntry(
                    kind=r.kind,
                    ref=r.ref,
                    what=r.what,
                    step=r.step_key,
                    step_label=r.step_label,
                    due_on=r.due_on,
                    status=r.status,
                    attempts=r.attempts,
                    last_error=r.last_error,
                    sent_at=r.sent_at,
                    recipients=r.recipients,
                )
                for r in rows
            ]

        return await run_in_threadpool(read)

    return router
