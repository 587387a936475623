"""``/partnerships/{p}/board-pack``: the quarterly assurance report or the annual
report of a partnership, made from its records (``projections.board``), as the
figures (JSON), an HTML page with its charts or a PDF.

What ``qa-engine board-pack`` does, over HTTP: any signed-in principal of the
partnership reads it (figures, not records: no child, person or free text in it);
operations in any partnership.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from domain.calendar import LONDON
from domain.errors import InvalidInput
from domain.tenancy import Principal
from projections.board import BoardPack, gather, period_of, render_html, render_pdf
from qa_engine.entry.web.auth import signed_in
from qa_engine.entry.web.problems import Problem
from qa_engine.entry.web.routes import in_partnership

__all__ = ["board_pack_of", "board_router"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "outside your partnership"},
    422: {"model": Problem, "description": "invalid input (the period)"},
}
Period = Annotated[
    str,
    Query(
        max_length=20,
        description='a quarter of the year from April ("2026/27 Q2") or the year ("2026/27")',
    ),
]


def board_pack_of(services: Any, partnership: str, period: str) -> BoardPack:
    """The pack's figures, or a refusal naming the field and the rule."""
    from datetime import datetime

    try:
        period_of(period)
    except ValueError as e:
        raise InvalidInput(str(e).partition(": ")[2], field="period", rule="period") from None
    today = datetime.now(LONDON).date()
    return gather(services.programme, partnership=partnership, period=period, today=today)


def _filename(pack: BoardPack, suffix: str) -> str:
    period = pack.period.replace("/", "-").replace(" ", "-")
    return f"board-pack-{pack.partnership}-{period}.{suffix}"


def board_router() -> APIRouter:
    router = APIRouter(tags=["programme"])

    @router.get(
        "/partnerships/{p}/board-pack",
        response_model=BoardPack,
        responses={
            **_ERRORS,
            200: {
                "description": "the figures (JSON), the HTML page or the PDF",
                "content": {"text/html": {}, "application/pdf": {}},
            },
        },
        summary="the quarterly assurance report or the annual report, from the records",
    )
    async def board_pack(
        request: Request,
        principal: Annotated[Principal, Depends(signed_in)],
        partnership: Annotated[str, Depends(in_partnership)],
        period: Period,
        format: Annotated[
            Literal["json", "html", "pdf"],
            Query(description="json (the figures), html (a page with charts) or pdf"),
        ] = "json",
    ) -> Response:
        services = request.app.state.ctx.services

        def make() -> tuple[BoardPack, bytes | str | None]:
            pack = board_pack_of(services, partnership, period)
            if format == "pdf":
                return pack, render_pdf(pack)
            return pack, render_html(pack) if format == "html" else None

        pack, document = await run_in_threadpool(make)
        if format == "pdf":
            assert isinstance(document, bytes)
            return Response(
                document,
                media_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{_filename(pack, "pdf")}"'},
            )
        if format == "html":
            return HTMLResponse(str(document))
        return JSONResponse(pack.model_dump(mode="json"))

    return router
