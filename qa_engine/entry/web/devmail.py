"""``GET /dev/mail`` (``qa-engine dev`` only): the emails the local SMTP sink took.

Served only when ``QA_DEV_MAIL_DIR`` names the sink's Maildir (``qa-engine dev`` sets
it), behind sign-in. Each message is matched to its outbox row by its Message-ID, so
the page shows where its delivery stands and shows a person only the messages of
their partnership (an agency's lead: those about their agency's asks). Left out of
the OpenAPI document: it is not part of the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from projections.outbox import for_agencies, outbox_rows
from qa_engine.entry.acting import scope_for
from qa_engine.entry.devmail import sunk_messages
from qa_engine.entry.mailer import message_id
from qa_engine.entry.web.pages import page, signed_in_or_none, to_sign_in

__all__ = ["dev_mail_router"]


def dev_mail_router(maildir: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/dev/mail")
    async def dev_mail(request: Request) -> Response:
        principal = await signed_in_or_none(request)
        if principal is None:
            return to_sign_in()
        ctx = request.app.state.ctx
        scope = scope_for(principal)

        def read() -> list[dict[str, Any]]:
            runner = ctx.caught_up_runner()
            with runner.db.read() as cur:
                rows = outbox_rows(
                    cur, partnership=None if scope is None else principal.partnership, limit=1000
                )
            if scope is not None and scope.agencies is not None:
                # an agency's lead: the emails addressed to their agency only (not, say,
                # another agency's escalation on a record their agency is part of)
                rows = for_agencies(rows, scope.agencies)
            by_id = {message_id(r): r for r in rows}
            shown = []
            for m in sunk_messages(maildir):
                row = by_id.get(m.message_id)
                if row is None and scope is not None:
                    continue  # not an email of a record this person may see
                shown.append({"message": m, "row": row})
            return shown

        messages = await run_in_threadpool(read)
        return page(request, principal, "devmail.html", title="Sent mail (dev)", messages=messages)

    return router
