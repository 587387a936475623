"""The resources: every lifecycle's records of a partnership, their steps and reads.

    /partnerships/{p}/reviews                       POST report an incident, GET list
    /partnerships/{p}/audits                        POST plan an audit, GET list
    /partnerships/{p}/action-plans                  POST open from a review, GET list
    /partnerships/{p}/concerns                      GET list (opened by audits' findings)
    /partnerships/{p}/{records}/{ref}               GET state (stage, clocks)
    /partnerships/{p}/{records}/{ref}/steps/{step}  POST record one step
    /partnerships/{p}/{records}/{ref}/history       GET events (as at / as of), reads
    /partnerships/{p}/{records}/{ref}/trail         GET the audit trail in words
    /partnerships/{p}/{records}/{ref}/verify        GET the record's hash chain
    /partnerships/{p}/oversight, /timeliness        GET the read models
    /verify                                         GET every chain, both logs (operations)

Each handler does what the CLI command does, through the same application layer
(``entry.acting``, the clients, the services); this module only adds HTTP.

No ``from __future__ import annotations`` here: FastAPI reads the annotations of
the handlers made per step, whose body models are local.
"""

import hashlib
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from domain.action_plan import OpenPlanFromReview
from domain.audit import PlanAudit
from domain.calendar import LONDON
from domain.errors import CaseAlreadyExists, DomainError
from domain.review import ReportIncident, ReviewState
from domain.tenancy import OutsideScope, Principal, Role
from domain.values import Command, Day
from projections import queries
from qa_engine.access_log import AccessEntry
from qa_engine.entry.acting import (
    actor_for,
    agencies_of,
    check_agency,
    check_tenant,
    derived_step_key,
    scope_for,
    step_update_id,
    verify_every_record,
)
from qa_engine.entry.qa_client import LIFECYCLES
from qa_engine.entry.web.auth import signed_in
from qa_engine.entry.web.lifecycles import NOUNS, RECORDS, RESOURCES
from qa_engine.entry.web.problems import Problem
from qa_engine.entry.workflow_calls import WorkflowRow
from qa_engine.recording import HistoryEntry, VerifyResult

__all__ = [
    "NOUNS",
    "RESOURCES",
    "Where",
    "live_state",
    "perform_step",
    "records_router",
    "stored_state",
]

PartnershipCode = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z]{2,12}$",
        description="the partnership's code (2-12 letters, e.g. DEMO); yours unless operations",
    ),
]
RecordRef = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$",
        description="the record's reference within its partnership (e.g. DEMO-003)",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="a unique key per intended write (8-200 printable characters, e.g. a "
        "UUID): a repeated request with it records nothing twice and answers the first result. "
        "Without it, a step's key is derived from the record, the step, its input and the "
        "day (as the CLI does): the same step sent again the same day is recorded once",
    ),
]
Signed = Annotated[Principal, Depends(signed_in)]


async def in_partnership(p: PartnershipCode, principal: Signed) -> str:
    """The path's partnership, if the principal may act in it (else 403, before any
    input is read)."""
    return check_tenant(principal, p, what=f"partnership {p.upper()}")


async def may_record(principal: Signed) -> Principal:
    """The principal, if their role may record (read-only roles: 403)."""
    actor_for(principal)
    return principal


async def may_open(principal: Signed) -> Principal:
    """The principal, if they may open a record: not read-only, not an agency's lead
    (who answers what is asked of their agency)."""
    actor_for(principal)
    scope = scope_for(principal)
    if scope is not None and scope.agencies is not None:
        raise OutsideScope(
            "an agency safeguarding lead answers what is asked of their agency; "
            "they do not open records",
            field="role",
            rule="agency_lead_answers_only",
        )
    return principal


Tenant = Annotated[str, Depends(in_partnership)]
Recorder = Annotated[Principal, Depends(may_record)]
Opener = Annotated[Principal, Depends(may_open)]


class Where(BaseModel):
    """A record the principal may see: its partnership and reference."""

    partnership: str
    ref: str


def in_scope(kind: str) -> Callable[..., Awaitable[Where]]:
    """A dependency: the record of ``kind`` at the path, if the principal may see it
    (their partnership; for an agency's lead, a record their agencies are part of)."""

    async def where(
        request: Request, partnership: Tenant, ref: RecordRef, principal: Signed
    ) -> Where:
        ref = ref.upper()
        scope = scope_for(principal)
        if scope is not None and scope.agencies is not None:
            state = await run_in_threadpool(stored_state, request, kind, partnership, ref)
            check_agency(principal, kind, state, what=f"{NOUNS[kind]} {ref}")
        return Where(partnership=partnership, ref=ref)

    return where


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "outside your partnership, agency or role"},
    404: {"model": Problem, "description": "no such record"},
    422: {"model": Problem, "description": "invalid input, naming the field and rule"},
    503: {"model": Problem, "description": "Temporal or the store is unreachable"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    409: {"model": Problem, "description": "refused by a rule, out of order, or already exists"},
}


class HistoryAnswer(BaseModel):
    """A record's recorded events (up to a moment, if asked) and its access log."""

    as_at: datetime | None = Field(
        description="the moment asked for, if any: facts recorded by then (recording time)"
    )
    as_of: date | None = Field(
        description="the day asked for, if any: facts that had happened by the end of it "
        "(fact time, each event's happened_on)"
    )
    state: dict[str, Any] | None = Field(
        description="a review case's state rebuilt as the record stood at as_at (as at only)"
    )
    events: list[HistoryEntry] = Field(description="the recorded facts, oldest first")
    reads: list[AccessEntry] = Field(description="every recorded read, yours last")


class TrailAnswer(BaseModel):
    """A record's audit trail in words, and its access log."""

    entries: list[queries.TrailRow] = Field(description="who did what, when and why")
    reads: list[AccessEntry] = Field(description="every recorded read, yours last")


class LogCheck(BaseModel):
    """Every hash chain and both logs (``qa-engine verify``)."""

    ok: bool = Field(description="every chain and both logs intact")
    records: list[dict[str, Any]] = Field(description="each record's chain: kind and result")
    notification_log: VerifyResult = Field(description="the whole event log against its anchor")
    access_log: VerifyResult = Field(description="the access store's log against its anchor")


def body_model(command: type[Command], *, exclude: tuple[str, ...] = ()) -> type[BaseModel]:
    """The request body of ``command``: its fields less the actor (the principal's)
    and what the path says (the partnership)."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in {"actor", *exclude}
    }
    model: type[BaseModel] = create_model(
        f"{command.__name__}Input",
        __config__=ConfigDict(extra="forbid"),
        __doc__=command.__doc__,
        **fields,
    )
    return model


def _data(body: Any) -> dict[str, Any]:
    """The fields a request body set (defaults are the command's to apply)."""
    data: dict[str, Any] = body.model_dump(exclude_unset=True)
    return data


def _today(today: date | None) -> date:
    """The day working days are counted from (a ``Day``: the query parameter is
    refused with 422 outside the calendar's range before it gets here)."""
    return today or datetime.now(LONDON).date()


def _ctx(request: Request) -> Any:
    return request.app.state.ctx


def _json(obj: Any) -> Any:
    return obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj


# ---------------------------------------------------------------- idempotency


def _request_hash(request: Request, body: BaseModel) -> str:
    payload = orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(request.method.encode() + request.url.path.encode() + payload).hexdigest()


def update_id(principal: Principal, step: str, key: str) -> str:
    """The Temporal update id of a step sent with an idempotency key: the key scoped to
    who sent it and which step (so two people's keys never meet), without naming them."""
    digest = hashlib.sha256(f"{principal.subject}\n{step}\n{key}".encode()).hexdigest()
    return f"api-{digest[:40]}"


async def _idempotent(
    request: Request,
    principal: Principal,
    key: str | None,
    body: BaseModel,
    status: int,
    act: Callable[[], Awaitable[Any]],
    *,
    replay: bool,
) -> Response:
    """Run ``act`` once per idempotency key: a repeat answers the first result (from the
    stored answer if ``replay``, else from ``act`` itself, which deduplicates); a key
    reused for a different request is refused."""
    accounts = _ctx(request).accounts
    request_hash = _request_hash(request, body)
    if key is not None:
        seen = await run_in_threadpool(accounts.remembered, principal.subject, key)
        if seen is not None and seen.request_hash != request_hash:
            raise DomainError(
                "this Idempotency-Key was used for a different request: use a new key",
                field="Idempotency-Key",
                rule="idempotency_key_reused",
            )
        if seen is not None and replay:
            return Response(seen.body, status_code=seen.status, media_type="application/json")
    try:
        result = await act()
    except CaseAlreadyExists:
        if key is None:
            raise
        seen = await run_in_threadpool(accounts.remembered, principal.subject, key)
        if seen is None or seen.request_hash != request_hash:
            raise
        return Response(seen.body, status_code=seen.status, media_type="application/json")
    text = orjson.dumps(_json(result)).decode()
    if key is not None:
        await run_in_threadpool(
            accounts.remember, principal.subject, key, request_hash, status, text
        )
    return Response(text, status_code=status, media_type="application/json")


#: for the routes of other modules (``entry.web.contacts``)
idempotent = _idempotent


# ------------------------------------------------------------------ the router


def records_router() -> APIRouter:
    router = APIRouter()
    _review_routes(router)
    for kind, segment in (("audit", "audits"), ("actionplan", "action-plans")):
        _qa_create_route(router, kind, segment)
    for segment, kind in RESOURCES.items():
        _list_route(router, segment, kind)
        _state_route(router, segment, kind)
        _step_routes(router, segment, kind)
        _history_route(router, segment, kind)
        _trail_route(router, segment, kind)
        _verify_route(router, segment, kind)
    _read_model_routes(router)
    return router


#: the command that opens each kind of record (a child of concern opens from an audit)
OPENERS: dict[str, type[Command]] = {
    "review": ReportIncident,
    "audit": PlanAudit,
    "actionplan": OpenPlanFromReview,
}


async def open_new_record(request: Request, kind: str, validated: Command, partnership: str) -> Any:
    """Open a record of ``kind`` through its workflow (the API's and the pages' one way)."""
    ctx = _ctx(request)
    if isinstance(validated, ReportIncident):
        return await (await ctx.reviews()).report(validated)
    client = await ctx.quality()
    if isinstance(validated, PlanAudit):
        return await client.plan_audit(validated)
    assert isinstance(validated, OpenPlanFromReview), kind
    return await client.open_plan_from_review(validated, partnership=partnership)


def _review_routes(router: APIRouter) -> None:
    Body = body_model(ReportIncident, exclude=("partnership",))

    @router.post(
        "/partnerships/{p}/reviews",
        tags=["reviews"],
        status_code=201,
        response_model=ReviewState,
        responses=_WRITE_ERRORS,
        summary="report a serious incident: opens the case",
    )
    async def report_incident(
        request: Request,
        principal: Opener,
        partnership: Tenant,
        body: Body,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        data = {**_data(body), "partnership": partnership}
        report = ReportIncident.model_validate({**data, "actor": actor_for(principal)})

        async def act() -> Any:
            return await open_new_record(request, "review", report, partnership)

        return await _idempotent(request, principal, idempotency_key, body, 201, act, replay=True)


def _qa_create_route(router: APIRouter, kind: str, segment: str) -> None:
    command = OPENERS[kind]
    Body = body_model(command, exclude=("partnership",))
    summary = (
        "plan an audit: opens it"
        if kind == "audit"
        else "open the action plan of a review case's recommendations"
    )

    @router.post(
        f"/partnerships/{{p}}/{segment}",
        tags=[segment],
        status_code=201,
        response_model=LIFECYCLES[kind].state_type,
        responses=_WRITE_ERRORS,
        summary=summary,
        name=f"open_{kind}",
    )
    async def open_record(
        request: Request,
        principal: Opener,
        partnership: Tenant,
        body: Body,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        data = {**_data(body), "partnership": partnership}
        validated = command.model_validate({**data, "actor": actor_for(principal)})

        async def act() -> Any:
            return await open_new_record(request, kind, validated, partnership)

        return await _idempotent(request, principal, idempotency_key, body, 201, act, replay=True)


async def live_state(request: Request, kind: str, partnership: str, ref: str) -> Any:
    """The record's state from its workflow (what ``show`` prints)."""
    return await RECORDS[kind].live_state(_ctx(request), partnership, ref)


def stored_state(request: Request, kind: str, partnership: str, ref: str) -> Any:
    """The record's state from the event store (call in a thread)."""
    return RECORDS[kind].stored_state(_ctx(request).services, partnership, ref)


def _list_route(router: APIRouter, segment: str, kind: str) -> None:
    @router.get(
        f"/partnerships/{{p}}/{segment}",
        tags=[segment],
        response_model=list[WorkflowRow],
        responses=_ERRORS,
        summary=f"the partnership's {segment.replace('-', ' ')}, soonest deadline first",
        name=f"list_{kind}",
    )
    async def list_records(
        request: Request,
        principal: Signed,
        partnership: Tenant,
        include_closed: Annotated[
            bool, Query(description="closed records too (default: open only)")
        ] = False,
    ) -> list[WorkflowRow]:
        scope = scope_for(principal)
        ctx = _ctx(request)
        if kind == "review":
            rows = [
                WorkflowRow(ref=r.case_ref, **r.model_dump(exclude={"case_ref"}))
                for r in await (await ctx.reviews()).list_cases(
                    include_closed=include_closed, partnership=partnership
                )
            ]
        else:
            rows = await (await ctx.quality()).list_records(
                kind, include_closed=include_closed, partnership=partnership
            )
        if scope is None or scope.agencies is None:
            return rows
        mine = set(scope.agencies)

        def involved(row: WorkflowRow) -> bool:
            try:
                state = stored_state(request, kind, partnership, row.ref)
            except DomainError:
                return False
            return bool(mine & set(agencies_of(kind, state)))

        return [r for r in rows if await run_in_threadpool(involved, r)]


def _state_route(router: APIRouter, segment: str, kind: str) -> None:
    @_record_get(
        router, kind, "", RECORDS[kind].state_type, f"a {NOUNS[kind]}'s stage, clocks and deadlines"
    )
    async def show(request: Request, where: Annotated[Where, Depends(in_scope(kind))]) -> Any:
        return await live_state(request, kind, where.partnership, where.ref)


def _step_routes(router: APIRouter, segment: str, kind: str) -> None:
    for step, command in RECORDS[kind].commands.items():
        _step_route(router, segment, kind, step, command)


def _step_route(
    router: APIRouter, segment: str, kind: str, step: str, command: type[Command]
) -> None:
    Body = body_model(command)
    state_type = RECORDS[kind].state_type
    summary = (command.__doc__ or step.replace("_", " ")).strip().splitlines()[0]

    @router.post(
        f"/partnerships/{{p}}/{segment}/{{ref}}/steps/{step.replace('_', '-')}",
        tags=[segment],
        response_model=state_type,
        responses=_WRITE_ERRORS,
        summary=summary,
        name=f"{kind}_{step}",
    )
    async def record_step(
        request: Request,
        principal: Recorder,
        where: Annotated[Where, Depends(in_scope(kind))],
        body: Body,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        validated = command.model_validate({**_data(body), "actor": actor_for(principal)})

        async def act() -> Any:
            return await perform_step(
                request, principal, kind, where, step, validated, idempotency_key
            )

        return await _idempotent(request, principal, idempotency_key, body, 200, act, replay=False)


async def perform_step(
    request: Request,
    principal: Principal,
    kind: str,
    where: Where,
    step: str,
    validated: Command,
    idempotency_key: str | None,
) -> Any:
    """Record one validated step of a record the principal may see (the API's and the
    pages' one way): an agency's lead only for their agency; with a key, once."""
    partnership, ref = where.partnership, where.ref
    scope = scope_for(principal)
    if scope is not None and scope.agencies is not None:
        state = await live_state(request, kind, partnership, ref)
        check_agency(principal, kind, state, what=f"{NOUNS[kind]} {ref}", command=validated)
    if idempotency_key is not None:
        request_id = update_id(principal, step, idempotency_key)
    else:  # no key sent: the one the CLI derives, so a repeated POST records once
        key = derived_step_key(
            kind=kind,
            partnership=partnership,
            ref=ref,
            step=step,
            command=validated,
            day=datetime.now(LONDON).date(),
        )
        request_id = step_update_id(principal.subject, kind, step, key)
    return await RECORDS[kind].record(_ctx(request), partnership, ref, step, validated, request_id)


def _record_get(
    router: APIRouter, kind: str, suffix: str, model: Any, summary: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The decorator of a GET route of one record of ``kind`` (``suffix``: its view),
    named ``<function>_<kind>`` in the OpenAPI document."""
    segment = RECORDS[kind].segment

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        return router.get(
            f"/partnerships/{{p}}/{segment}/{{ref}}{suffix}",
            tags=[segment],
            response_model=model,
            responses=_ERRORS,
            summary=summary,
            name=f"{handler.__name__}_{kind}",
        )(handler)

    return register


Purpose = Annotated[
    str,
    Query(min_length=3, max_length=200, description="why you are reading it (recorded)"),
]


def _history_route(router: APIRouter, segment: str, kind: str) -> None:
    @_record_get(
        router,
        kind,
        "/history",
        HistoryAnswer,
        f"a {NOUNS[kind]}'s recorded events, as at a moment (recording time) and/or as of "
        "a day (fact time) (your read is recorded)",
    )
    async def history(
        request: Request,
        principal: Signed,
        where: Annotated[Where, Depends(in_scope(kind))],
        as_at: Annotated[
            datetime | None,
            Query(
                description="ISO timestamp: what the record said at that moment (recording "
                "time: the facts recorded by then)"
            ),
        ] = None,
        as_of: Annotated[
            date | None,
            Query(
                description="ISO date: what had happened by the end of that day (fact time: "
                "each fact's own date, however late it was entered); with as_at, both apply"
            ),
        ] = None,
        purpose: Purpose = "case review",
    ) -> HistoryAnswer:
        partnership, ref = where.partnership, where.ref
        actor = actor_for(principal, records=False)
        moment = as_at
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=LONDON)
        services = _ctx(request).services

        def read() -> HistoryAnswer:
            records = RECORDS[kind]
            events = records.read_history(
                services, partnership, ref, actor=actor, purpose=purpose, as_at=moment, as_of=as_of
            )
            state = None
            if records.review and moment is not None:
                state = services.reviews.state_as_at(partnership, ref, moment).model_dump(
                    mode="json"
                )
            reads = records.reads(services, partnership, ref)
            return HistoryAnswer(as_at=moment, as_of=as_of, state=state, events=events, reads=reads)

        answer: HistoryAnswer = await run_in_threadpool(read)
        return answer


def _trail_route(router: APIRouter, segment: str, kind: str) -> None:
    @_record_get(
        router,
        kind,
        "/trail",
        TrailAnswer,
        f"a {NOUNS[kind]}'s audit trail in plain words (your read is recorded)",
    )
    async def trail(
        request: Request,
        principal: Signed,
        where: Annotated[Where, Depends(in_scope(kind))],
        purpose: Purpose = "case review",
    ) -> TrailAnswer:
        from projections.catalogue import sealer_for

        partnership, ref = where.partnership, where.ref
        actor = actor_for(principal, records=False)
        ctx = _ctx(request)
        services = ctx.services

        def read() -> TrailAnswer:
            records = RECORDS[kind]
            records.record_read(
                services, partnership, ref, actor=actor, purpose=purpose, view="trail"
            )
            reads = records.reads(services, partnership, ref)
            runner = ctx.caught_up_runner()
            rows = queries.trail(
                runner.db, ref, partnership=partnership, sealer=sealer_for(runner.app), kind=kind
            )
            return TrailAnswer(entries=rows, reads=reads)

        answer: TrailAnswer = await run_in_threadpool(read)
        return answer


def _verify_route(router: APIRouter, segment: str, kind: str) -> None:
    @_record_get(
        router,
        kind,
        "/verify",
        VerifyResult,
        f"check a {NOUNS[kind]}'s hash chain against the ledger",
    )
    async def verify(
        request: Request, where: Annotated[Where, Depends(in_scope(kind))]
    ) -> VerifyResult:
        partnership, ref = where.partnership, where.ref
        services = _ctx(request).services

        result: VerifyResult = await run_in_threadpool(
            RECORDS[kind].verify, services, partnership, ref
        )
        return result


def _read_model_routes(router: APIRouter) -> None:
    # a Day: within the dates the working-day calendar can count from (else 422)
    Today = Annotated[
        Day | None, Query(description="ISO date to count working days from (default: today)")
    ]

    @router.get(
        "/partnerships/{p}/oversight",
        tags=["oversight"],
        response_model=list[queries.OversightRow],
        responses=_ERRORS,
        summary="every open record: stage, next deadline, working days left, RAG, owner",
    )
    async def oversight(
        request: Request,
        principal: Signed,
        partnership: Tenant,
        kind: Annotated[
            str | None,
            Query(
                pattern="^(review|audit|actionplan|childofconcern)$",
                description="one lifecycle: review, audit, actionplan or childofconcern",
            ),
        ] = None,
        stage: Annotated[str | None, Query(max_length=60, description="one stage")] = None,
        rag: Annotated[
            str | None,
            Query(
                pattern="^(red|amber|green)(,(red|amber|green))*$",
                description="comma-separated: red,amber,green",
            ),
        ] = None,
        owner: Annotated[
            str | None, Query(max_length=120, description="owner, e.g. 'local authority'")
        ] = None,
        sort: Annotated[
            str,
            Query(
                pattern="^(due|rag|ref|stage|partnership|owner)$",
                description="due, rag, ref, stage, partnership or owner",
            ),
        ] = "due",
        desc: Annotated[bool, Query(description="reverse the order")] = False,
        today: Today = None,
    ) -> list[queries.OversightRow]:
        from qa_engine.calendar import england_and_wales

        scope = scope_for(principal)
        ctx = _ctx(request)

        def read() -> list[queries.OversightRow]:
            runner = ctx.caught_up_runner()
            rows: list[queries.OversightRow] = queries.oversight(
                runner.db,
                today=_today(today),
                calendar=england_and_wales(),
                amber_working_days=ctx.settings.amber_working_days,
                kind=kind,
                stage=stage,
                partnership=partnership,
                owner=owner,
                rag_in=set(rag.split(",")) if rag else None,
                sort=sort,
                descending=desc,
                scope=scope,
            )
            return rows

        answer: list[queries.OversightRow] = await run_in_threadpool(read)
        return answer

    @router.get(
        "/partnerships/{p}/timeliness",
        tags=["oversight"],
        response_model=list[queries.TimelinessRow],
        responses=_ERRORS,
        summary="statutory timeliness by quarter: due, within, late, overdue, pending",
    )
    async def timeliness(
        request: Request,
        principal: Signed,
        partnership: Tenant,
        quarter: Annotated[
            str | None, Query(max_length=20, description='one quarter, e.g. "2025/26 Q1"')
        ] = None,
        today: Today = None,
    ) -> JSONResponse:
        scope = scope_for(principal)
        ctx = _ctx(request)

        def read() -> list[dict[str, Any]]:
            runner = ctx.caught_up_runner()
            rows = queries.timeliness(
                runner.db,
                today=_today(today),
                year_start_month=ctx.settings.reporting_year_start_month,
                partnership=partnership,
                quarter=quarter,
                scope=scope,
            )
            return [{**r.model_dump(mode="json"), "percent_within": r.percent_within} for r in rows]

        return JSONResponse(await run_in_threadpool(read))

    @router.get(
        "/verify",
        tags=["service"],
        response_model=LogCheck,
        responses=_ERRORS,
        summary="every record's hash chain, the event log and the access log (operations)",
    )
    async def verify_everything(request: Request, principal: Signed) -> LogCheck:
        if Role.OPERATIONS not in principal.roles:
            raise OutsideScope(
                "checking every partnership's records is for the operations role; "
                "check one record at /partnerships/{p}/{records}/{ref}/verify",
                field="role",
                rule="operations_only",
            )
        services = _ctx(request).services

        def check() -> LogCheck:
            results = verify_every_record(services)
            log = services.quality.verify_log()
            access = services.access.verify_log()
            records = [{"kind": k, **r.model_dump(mode="json")} for k, r in results]
            records += [
                {"kind": "access log", **r.model_dump(mode="json")}
                for r in services.access.verify_all()
            ]
            ok = all(r["ok"] for r in records) and log.ok and access.ok
            return LogCheck(ok=ok, records=records, notification_log=log, access_log=access)

        answer: LogCheck = await run_in_threadpool(check)
        return answer
