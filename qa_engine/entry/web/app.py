"""The HTTP API's composition root: ``create_app(settings)``.

It builds what the CLI builds, once per process: the application services
(``qa_engine.bootstrap``), the Temporal client side (``ReviewClient``,
``QaClient``), the read models' runner, and the sign-in (local accounts by
default). Tests pass their own Temporal client and services.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from temporalio.client import Client

from qa_engine.accounts import AccountStore
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.entry.qa_client import QaClient
from qa_engine.entry.review_client import ReviewClient
from qa_engine.entry.web.assets import frontend_dir
from qa_engine.entry.web.auth import Authenticator, LocalSignIn, auth_router
from qa_engine.entry.web.board import board_router
from qa_engine.entry.web.contacts import contacts_router
from qa_engine.entry.web.devmail import dev_mail_router
from qa_engine.entry.web.oidc import ClaimMapping, Issuer, OidcSignIn, oidc_router
from qa_engine.entry.web.open_pages import open_pages_router
from qa_engine.entry.web.outbox import outbox_router
from qa_engine.entry.web.pages import pages_router
from qa_engine.entry.web.problems import ServiceUnavailable, install_problem_handlers
from qa_engine.entry.web.programme_api import programme_api_router
from qa_engine.entry.web.programme_pages import programme_pages_router
from qa_engine.entry.web.routes import records_router

__all__ = ["WebContext", "create_app"]

DESCRIPTION = """Safeguarding-partnership review and quality-assurance lifecycles.

Every command and query of the `qa-engine` command line, as resources of a
partnership: review cases (`/partnerships/{p}/reviews`), audits (`/audits`),
action plans (`/action-plans`) and children of concern (`/concerns`), each with
its steps (`POST .../{ref}/steps/{step}`), state, history (as at a moment or as of
a day), audit trail and hash-chain check; oversight and timeliness.

Sign in with a session (the `/sign-in` form) or a bearer token (`POST /tokens`).
Writes signed in by the session cookie carry `X-CSRF-Token` (from `/me`). Every
step records the signed-in person and role. POSTs take an `Idempotency-Key`: a
repeated request records nothing twice and answers the first result.

Errors are `application/problem+json` naming the `field` and the `rule`: 401 not
signed in, 403 outside your partnership, agency or role, 404 not found, 409 refused
by a rule or out of order, 422 invalid input, 503 Temporal or the store down.
"""


@dataclass
class WebContext:
    """What every request of one process shares."""

    settings: Settings
    services: Services
    accounts: AccountStore
    authenticators: Sequence[Authenticator]
    client: Client | None = None
    runner: Any = None
    runner_lock: threading.Lock = field(default_factory=threading.Lock)
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def temporal(self) -> Client:
        """The Temporal client, connected on first use (503 while Temporal is down)."""
        if self.client is None:
            async with self._connecting:
                if self.client is None:
                    from qa_engine.entry.temporal import connect

                    try:
                        self.client = await connect(self.settings)
                    except RuntimeError as e:
                        raise ServiceUnavailable(str(e)) from None
        return self.client

    async def reviews(self) -> ReviewClient:
        return ReviewClient(await self.temporal(), self.settings.temporal_task_queue)

    async def quality(self) -> QaClient:
        return QaClient(await self.temporal(), self.settings.temporal_task_queue)

    def caught_up_runner(self) -> Any:
        """The read models' runner, caught up with the event log (call in a thread)."""
        with self.runner_lock:
            if self.runner is None:
                from projections.catalogue import build_runner

                self.runner = build_runner(
                    self.services.reviews, batch_size=self.settings.projection_batch_size
                )
            self.runner.catch_up()
            return self.runner


def create_app(
    settings: Settings,
    *,
    client: Client | None = None,
    services: Services | None = None,
    accounts: AccountStore | None = None,
    authenticators: Sequence[Authenticator] | None = None,
) -> FastAPI:
    """The HTTP API over ``settings``'s store and Temporal.

    ``client``: a connected Temporal client (default: connect on first use);
    ``services``/``accounts``: built from ``settings`` when not given, and then
    closed with the app; ``authenticators``: default the OpenID provider of
    ``QA_OIDC_ISSUER`` (when set), then the local accounts.
    """
    own_services, own_accounts = services is None, accounts is None
    services = services or bootstrap(settings)
    accounts = accounts or AccountStore(settings)
    oidc: OidcSignIn | None = None
    if settings.oidc_issuer:
        oidc = OidcSignIn(Issuer(settings), accounts, ClaimMapping.of(settings))
    if authenticators is None:
        authenticators = [LocalSignIn(accounts)] if oidc is None else [oidc, LocalSignIn(accounts)]
    ctx = WebContext(
        settings=settings,
        services=services,
        accounts=accounts,
        authenticators=list(authenticators),
        client=client,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if own_services:
            ctx.services.close()
        if own_accounts:
            ctx.accounts.close()

    app = FastAPI(
        title="qa-engine",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
    )
    app.state.ctx = ctx
    install_problem_handlers(app)
    mount_pages(app)
    app.include_router(auth_router(accounts, cookie_secure=settings.web_cookie_secure))
    if oidc is not None:
        app.include_router(oidc_router(oidc, cookie_secure=settings.web_cookie_secure))
    app.include_router(records_router())
    app.include_router(outbox_router())
    app.include_router(contacts_router())
    app.include_router(board_router())
    app.include_router(programme_api_router())
    if settings.dev_mail_dir is not None:
        app.include_router(dev_mail_router(settings.dev_mail_dir))

    def openapi() -> dict[str, Any]:
        """The generated document, with every error answer under the media type it is
        sent with (``application/problem+json``, RFC 9457), not ``application/json``."""
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            doc = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for path in doc.get("paths", {}).values():
                for operation in path.values():
                    for status, answer in operation.get("responses", {}).items():
                        content = answer.get("content", {})
                        if str(status)[:1] == "3":  # a redirect has no body
                            answer.pop("content", None)
                        elif str(status)[:1] in "45" and "application/json" in content:
                            body = content.pop("application/json")
                            if str(status) == "422":  # our handler answers a Problem
                                body = {"schema": {"$ref": "#/components/schemas/Problem"}}
                            content["application/problem+json"] = body
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", tags=["service"], summary="the process answers (no sign-in)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def mount_pages(app: FastAPI) -> None:
    """The browser's pages (before the sign-in API: its ``/sign-in`` form is theirs) and
    the static files they use: govuk-frontend from its npm package, and ours."""
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    app.include_router(open_pages_router())  # before /records/{segment}/{ref}
    app.include_router(pages_router())
    app.include_router(programme_pages_router())
    here = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=here), name="static")
    built = frontend_dir()
    if built is not None:
        app.mount("/frontend", StaticFiles(directory=built), name="frontend")
        # the CSS names its images under /assets (the fonts are not used: no GOV.UK font)
        app.mount("/assets", StaticFiles(directory=built / "assets"), name="assets")
