"""Errors as ``application/problem+json`` (RFC 9457), naming the field and the rule.

| status | when |
|---|---|
| 401 | not signed in (or the session or token has ended); sign-in refused |
| 403 | outside the principal's partnership, agency or role |
| 404 | no such record (or route) |
| 409 | refused by a rule of the lifecycle, or out of order; a reference already used |
| 422 | invalid input: the field and the rule it breaks |
| 503 | Temporal or the store is unreachable, or no worker answered in time |
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import psycopg_pool
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from domain.errors import CaseAlreadyExists, CaseNotFound, DomainError, RuleViolation
from domain.tenancy import OutsideScope
from qa_engine.accounts import SignInRefused
from qa_engine.entry.workflow_calls import Unavailable

__all__ = [
    "PROBLEM_JSON",
    "FieldProblem",
    "Problem",
    "ServiceUnavailable",
    "Unauthorized",
    "install_problem_handlers",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    """One invalid field."""

    field: str = Field(
        description="the input field, dotted for nested ones (e.g. requests.0.due_on)"
    )
    rule: str = Field(description="the rule it breaks (e.g. missing, date_from_datetime_parsing)")
    message: str = Field(description="what is wrong, in words")


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details)."""

    type: str = Field(default="about:blank", description="a URI naming the kind of problem")
    title: str = Field(description="short summary of the kind of problem")
    status: int = Field(description="the HTTP status code")
    detail: str = Field(description="what went wrong here, in words")
    field: str | None = Field(default=None, description="the field (or setting) at fault")
    rule: str | None = Field(default=None, description="the rule that refused it")
    problems: list[FieldProblem] | None = Field(
        default=None, description="every invalid field (status 422)"
    )


class ServiceUnavailable(Exception):
    """Temporal (or another service the API needs) could not be reached."""


class Unauthorized(Exception):
    """No signed-in principal: no session cookie or bearer token, or an ended one."""

    def __init__(self, detail: str = "sign in first: a session cookie or a bearer token") -> None:
        super().__init__(detail)
        self.detail = detail


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    field: str | None = None,
    rule: str | None = None,
    problems: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=title, status=status, detail=detail, field=field, rule=rule, problems=problems
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field_problems(errors: list[Any], *, strip: tuple[str, ...] = ()) -> list[FieldProblem]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if str(p) not in strip]
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        field = ".".join(loc)
        if not field and ":" in message.split(" ", 1)[0]:
            # a model rule names its field first: "aware_on: the local authority ..."
            field = message.split(":", 1)[0]
        out.append(FieldProblem(field=field or "body", rule=str(err.get("type")), message=message))
    return out


def _invalid(problems: list[FieldProblem]) -> JSONResponse:
    first = problems[0] if problems else None
    return problem_response(
        422,
        "Invalid input",
        "; ".join(
            p.message if p.message.startswith(f"{p.field}:") else f"{p.field}: {p.message}"
            for p in problems
        )
        or "invalid input",
        field=first.field if first else None,
        rule=first.rule if first else None,
        problems=problems,
    )


def _domain(status: int, title: str, e: DomainError) -> JSONResponse:
    return problem_response(status, title, e.message, field=e.field, rule=e.rule)


def install_problem_handlers(app: FastAPI) -> None:
    """Every error the API raises, answered as problem+json."""

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        return _invalid(_field_problems(list(e.errors()), strip=("body", "query", "path")))

    @app.exception_handler(ValidationError)
    async def _model_invalid(request: Request, e: ValidationError) -> JSONResponse:
        return _invalid(_field_problems(list(e.errors())))

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, e: Unauthorized) -> JSONResponse:
        return problem_response(
            401,
            "Sign-in required",
            e.detail,
            rule="signed_in",
            headers={"WWW-Authenticate": 'Bearer realm="qa-engine"'},
        )

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, e: DomainError) -> JSONResponse:
        if isinstance(e, SignInRefused):
            return problem_response(
                401,
                "Sign-in refused",
                e.message,
                field=e.field,
                rule=e.rule,
                headers={"WWW-Authenticate": 'Bearer realm="qa-engine"'},
            )
        if isinstance(e, OutsideScope):
            return _domain(403, "Outside your scope", e)
        if isinstance(e, CaseNotFound):
            return _domain(404, "Not found", e)
        if isinstance(e, CaseAlreadyExists):
            return _domain(409, "Already exists", e)
        if isinstance(e, RuleViolation):
            return _domain(409, "Refused by a rule", e)
        return _domain(422, "Invalid input", e)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed"}
        return problem_response(
            e.status_code,
            titles.get(e.status_code, "Error"),
            str(e.detail),
            headers=dict(e.headers or {}),
        )

    async def _unavailable(request: Request, e: Exception) -> JSONResponse:
        temporal = (RPCError, TimeoutError, ServiceUnavailable)
        what = "Temporal" if isinstance(e, temporal) else "the store"
        detail = f"{what} did not answer; try again shortly ({type(e).__name__})"
        if isinstance(e, Unavailable):  # no worker, or the outcome of a step unknown
            detail = f"{e.message}; send it again with the same Idempotency-Key"
        return problem_response(
            503,
            "Service unavailable",
            detail,
            rule="service_available",
            headers={"Retry-After": "5"},
        )

    for exc in (
        Unavailable,
        RPCError,
        TimeoutError,
        ConnectionError,
        OSError,
        ServiceUnavailable,
        sqlite3.OperationalError,
        psycopg.OperationalError,
        psycopg_pool.PoolTimeout,
        StoreOperationalError,
        StoreInterfaceError,
    ):
        app.add_exception_handler(exc, _unavailable)
