"""Sign-in: who the request is from, as one ``Principal``.

An ``Authenticator`` turns a request into a principal or nothing. The embedded
default, ``LocalSignIn``, knows browser sessions (cookie ``qa_session``: Secure,
HttpOnly, SameSite=Strict) and bearer tokens (``Authorization: Bearer ...``) of the
local accounts (``qa_engine.accounts``). OpenID Connect is another ``Authenticator``
(validated JWTs, issuer and audience checked), added beside it without touching
the routes: they only ever see the ``Principal``.

A request signed in by its session cookie that changes anything must carry the
session's CSRF token (header ``X-CSRF-Token`` or form field ``csrf_token``); the
sign-in form itself uses a double-submitted token (cookie ``qa_csrf``). Bearer
requests carry no ambient authority, so need none.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError
from domain.tenancy import OutsideScope, Principal
from qa_engine.accounts import AccountStore
from qa_engine.entry.web.problems import Problem, Unauthorized

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Authenticator",
    "LocalSignIn",
    "Signed",
    "auth_router",
    "signed_in",
]

SESSION_COOKIE = "qa_session"
CSRF_COOKIE = "qa_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Signed:
    """A resolved sign-in: the principal, how they came, and (for a session) its CSRF token."""

    principal: Principal
    via: Literal["session", "token"]
    csrf: str | None = None
    secret: str = ""


class Authenticator(Protocol):
    """Who a request is from (``None``: not signed in by this means)."""

    def resolve(self, request: Request) -> Signed | None: ...


class LocalSignIn:
    """Sessions and bearer tokens of the local accounts."""

    def __init__(self, accounts: AccountStore) -> None:
        self.accounts = accounts

    def resolve(self, request: Request) -> Signed | None:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
            found = self.accounts.resolve(token, "token") if token else None
            if found is None:
                raise Unauthorized("the bearer token is unknown, revoked or expired")
            return Signed(found[0].principal(), "token", secret=token)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            found = self.accounts.resolve(cookie, "session")
            if found is None:
                raise Unauthorized("your session has ended: sign in again")
            return Signed(found[0].principal(), "session", csrf=found[1], secret=cookie)
        return None


async def _signed(request: Request) -> Signed:
    cached: Signed | None = getattr(request.state, "signed", None)
    if cached is not None:
        return cached
    for authenticator in request.app.state.ctx.authenticators:
        signed: Signed | None = await run_in_threadpool(authenticator.resolve, request)
        if signed is not None:
            if signed.via == "session" and request.method not in SAFE_METHODS:
                await _check_csrf(request, signed.csrf or "")
            request.state.signed = signed
            return signed
    raise Unauthorized()


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise OutsideScope(
            "this form is missing its CSRF token (or it is stale): reload the page and try again",
            field="csrf_token",
            rule="csrf_token",
        )


def _provider_sign_out(request: Request, id_token: str) -> str | None:
    """The identity provider's end-session address for a session it vouched for (an
    authenticator with ``sign_out_url``, i.e. OIDC), or None. The local session is
    already ended: a provider that does not answer leaves the browser at /sign-in."""
    for authenticator in request.app.state.ctx.authenticators:
        url_of = getattr(authenticator, "sign_out_url", None)
        if url_of is None:
            continue
        try:
            url: str | None = url_of(id_token)
        except DomainError:  # the provider's discovery did not answer
            return None
        if url:
            return url
    return None


async def signed_in(request: Request) -> Principal:
    """The dependency every resource takes: the signed-in principal, or 401."""
    return (await _signed(request)).principal


# --------------------------------------------------------------------- routes


class Me(BaseModel):
    """The signed-in principal."""

    subject: str = Field(description="stable id: local:<username>, or the provider's subject")
    name: str = Field(description="recorded on every step they take")
    partnership: str = Field(description="the partnership they act for")
    roles: list[str] = Field(description="their roles; the first is recorded when they act")
    agencies: list[str] = Field(description="an agency safeguarding lead's agencies")
    csrf_token: str | None = Field(
        default=None, description="send as X-CSRF-Token on writes signed in by the session cookie"
    )


class TokenRequest(BaseModel):
    """A local account's credentials, for a bearer token."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=120, description="the account's username")
    password: str = Field(min_length=1, max_length=1000, description="its password")
    code: str = Field(
        min_length=6, max_length=10, description="the current code of its authenticator app"
    )


class Token(BaseModel):
    """A bearer token for API clients: ``Authorization: Bearer <access_token>``."""

    access_token: str = Field(description="the token; shown once, only its hash is stored")
    token_type: Literal["bearer"] = Field(default="bearer", description="always bearer")
    expires_at: datetime = Field(description="when it stops working")


_401: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in, or sign-in refused"}
}
_403: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "CSRF token missing on a cookie-signed write"}
}


def auth_router(accounts: AccountStore, *, cookie_secure: bool) -> APIRouter:
    router = APIRouter(tags=["sign-in"])

    @router.get("/sign-in", response_class=HTMLResponse, summary="the sign-in form")
    async def sign_in_form(request: Request) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = HTMLResponse(_sign_in_page(token))
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, secure=cookie_secure, samesite="strict"
        )
        return response

    @router.post(
        "/sign-in",
        status_code=303,
        summary="sign in with password and security code (form); sets the session cookie",
        responses={**_401, **_403, 303: {"description": "signed in: on to /me"}},
    )
    async def sign_in(
        request: Request,
        username: Annotated[str, Form(max_length=120, description="username")],
        password: Annotated[str, Form(max_length=1000, description="password")],
        code: Annotated[str, Form(max_length=10, description="authenticator app code")],
        csrf_token: Annotated[str, Form(max_length=200, description="from the form")],
    ) -> Response:
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(csrf_token, expected):
            raise OutsideScope(
                "the sign-in form is stale (no matching CSRF token): reload it",
                field="csrf_token",
                rule="csrf_token",
            )
        account = await run_in_threadpool(accounts.sign_in, username, password, code)
        session, _ = await run_in_threadpool(accounts.start_session, account)
        response = RedirectResponse("/me", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session,
            httponly=True,
            secure=cookie_secure,
            samesite="strict",
            max_age=accounts.settings.web_session_minutes * 60,
        )
        response.delete_cookie(CSRF_COOKIE)
        return response

    @router.post(
        "/sign-out",
        status_code=303,
        summary="end this session (or revoke this bearer token)",
        responses={
            **_401,
            **_403,
            303: {
                "description": "signed out: on to /sign-in, or (signed in at an identity "
                "provider) to the provider's end-session endpoint, which ends its session "
                "too and sends the browser back"
            },
        },
    )
    async def sign_out(request: Request, _: Annotated[Principal, Depends(signed_in)]) -> Response:
        signed: Signed = request.state.signed
        hint = None
        if signed.via == "session":
            hint = await run_in_threadpool(accounts.id_token_of, signed.secret)
        await run_in_threadpool(accounts.end, signed.secret)
        target = "/sign-in"
        if hint:
            at_provider: str | None = await run_in_threadpool(_provider_sign_out, request, hint)
            target = at_provider or target
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.post(
        "/tokens",
        status_code=201,
        summary="a bearer token for an API client (password and security code)",
        responses=_401,
    )
    async def issue_token(body: TokenRequest) -> Token:
        account = await run_in_threadpool(accounts.sign_in, body.username, body.password, body.code)
        token, expires = await run_in_threadpool(accounts.issue_token, account)
        return Token(access_token=token, expires_at=expires)

    @router.get("/me", summary="who is signed in", responses=_401)
    async def me(request: Request, principal: Annotated[Principal, Depends(signed_in)]) -> Me:
        signed: Signed = request.state.signed
        return Me(
            subject=principal.subject,
            name=principal.name,
            partnership=principal.partnership,
            roles=[r.value for r in principal.roles],
            agencies=list(principal.agencies),
            csrf_token=signed.csrf,
        )

    return router


def _sign_in_page(csrf: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - qa-engine</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Sign in</h1>
<form method="post" action="/sign-in">
<input type="hidden" name="csrf_token" value="{escape(csrf)}">
<p><label for="username">Username</label><br>
<input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><label for="code">Security code from your authenticator app</label><br>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>"""
