"""Lifecycle 3 over HTTP: what ``qa-engine programme | subgroup | scorecard |
section11 | assurance`` do, with the conventions of the other lifecycles' routes.

    GET  /partnerships/{p}/{segment}/{ref}                 the record (a programme: its year)
    POST /partnerships/{p}/{segment}                       open it (form a subgroup)
    POST /partnerships/{p}/{segment}/{ref}/steps/{step}    record one step

segments: ``programmes`` (ref: the year), ``subgroups``, ``scorecards``,
``section11-cycles``, ``assurance-activities``. The actor is the signed-in principal
(read-only roles: 403 ``read_only_role``); the partnership is the path's, which must
be theirs (``same_partnership``). An agency's safeguarding lead opens nothing
(``agency_lead_answers_only``) and records only a step naming their own agency (a
Section 11 self-assessment, an action they own: ``own_agency_answer``). A step is
recorded once per ``Idempotency-Key`` (without one, per the key the CLI derives from
the record, the step, its input and the day). A programme decision also brings the
entries' Temporal Schedules in step (``schedules``); when Temporal cannot be reached
the decision stays recorded and ``schedules_note`` says to run ``qa-engine programme
sync``. These records run no clocks of their own: the steps go straight to the
service (``qa_engine.programme``), as the CLI's do.

No ``from __future__ import annotations`` here: FastAPI reads the annotations of
the handlers made per kind and step, whose body models are local.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from domain.assurance import ASSURANCE_COMMANDS, AssuranceState, OpenAssurance
from domain.calendar import LONDON
from domain.errors import InvalidInput
from domain.programme import PROGRAMME_COMMANDS, OpenProgramme, ProgrammeState
from domain.programme.template import TEMPLATES
from domain.scorecard import SCORECARD_COMMANDS, OpenScorecard, ScorecardState
from domain.section11 import SECTION_11_COMMANDS, OpenSection11Cycle, Section11State
from domain.subgroup import SUBGROUP_COMMANDS, FormSubgroup, SubgroupState
from domain.tenancy import OutsideScope, Principal
from domain.values import Command
from qa_engine.entry.acting import actor_for, derived_step_key, scope_for
from qa_engine.entry.web.auth import signed_in
from qa_engine.entry.web.problems import Problem
from qa_engine.entry.web.routes import (
    IdempotencyKey,
    RecordRef,
    body_model,
    idempotent,
    in_partnership,
    may_open,
    may_record,
)

__all__ = ["programme_api_router"]


@dataclass(frozen=True)
class Kind:
    kind: str
    segment: str
    noun: str
    opener: type[Command]
    open_method: str
    commands: dict[str, type[Command]]
    state: type[BaseModel]


KINDS = (
    Kind(
        "programme",
        "programmes",
        "QA programme",
        OpenProgramme,
        "open_programme",
        PROGRAMME_COMMANDS,
        ProgrammeState,
    ),
    Kind(
        "subgroup",
        "subgroups",
        "subgroup",
        FormSubgroup,
        "form_subgroup",
        SUBGROUP_COMMANDS,
        SubgroupState,
    ),
    Kind(
        "scorecard",
        "scorecards",
        "scorecard",
        OpenScorecard,
        "open_scorecard",
        SCORECARD_COMMANDS,
        ScorecardState,
    ),
    Kind(
        "section11",
        "section11-cycles",
        "Section 11 cycle",
        OpenSection11Cycle,
        "open_section11",
        SECTION_11_COMMANDS,
        Section11State,
    ),
    Kind(
        "assurance",
        "assurance-activities",
        "assurance activity",
        OpenAssurance,
        "open_assurance",
        ASSURANCE_COMMANDS,
        AssuranceState,
    ),
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "outside your partnership, or not your role"},
    404: {"model": Problem, "description": "no such record in the partnership"},
    422: {"model": Problem, "description": "invalid input: the field and the rule"},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    409: {"model": Problem, "description": "refused by a rule of the record; nothing recorded"},
}
#: the kinds by name (``programme``, ``subgroup``, ``scorecard``, ``section11``, ``assurance``)
KIND_OF: dict[str, Kind] = {k.kind: k for k in KINDS}
Signed = Annotated[Principal, Depends(signed_in)]
Tenant = Annotated[str, Depends(in_partnership)]
Opener = Annotated[Principal, Depends(may_open)]
Recorder = Annotated[Principal, Depends(may_record)]


def record_ref(kind: Kind, ref: str) -> Any:
    """The service's reference: a programme's is its year."""
    if kind.kind != "programme":
        return ref
    if not (ref.isdigit() and len(ref) == 4):
        raise InvalidInput("a programme is named by its year, e.g. 2026", field="ref", rule="year")
    return int(ref)


def _read(services: Any, kind: Kind, partnership: str, ref: str) -> Any:
    return getattr(services.programme, kind.kind)(partnership, record_ref(kind, ref))


def check_agency_answer(principal: Principal, kind: Kind, command: Command) -> None:
    """An agency's lead records only a step naming one of their agencies."""
    scope = scope_for(principal)
    if scope is None or scope.agencies is None:
        return
    named = {
        str(getattr(command, f)).upper()
        for f in ("agency", "owner_agency")
        if getattr(command, f, None) is not None
    }
    if not named or not named <= {a.upper() for a in scope.agencies}:
        raise OutsideScope(
            f"an agency safeguarding lead records only their own agency's part of a {kind.noun}",
            field="agency",
            rule="own_agency_answer",
        )


async def sync_schedules(request: Request, state: ProgrammeState) -> dict[str, Any]:
    """Bring the programme's schedules in step (as the CLI does after a decision)."""
    from temporalio.service import RPCError

    from qa_engine.entry.programme_client import ProgrammeClient

    ctx = request.app.state.ctx
    note = "schedules not synced: run `qa-engine programme sync`"
    if ctx.client is None:
        return {"schedules": None, "schedules_note": note}
    try:
        rows = await ProgrammeClient(ctx.client, ctx.settings.temporal_task_queue).sync(state)
    except (RPCError, RuntimeError, OSError) as e:
        return {"schedules": None, "schedules_note": f"{note} ({type(e).__name__})"}
    return {"schedules": [r.model_dump(mode="json") for r in rows], "schedules_note": None}


def _register_kind(router: APIRouter, kind: Kind) -> None:
    prefix = f"/partnerships/{{p}}/{kind.segment}"

    @router.get(
        f"{prefix}/{{ref}}",
        tags=[kind.segment],
        response_model=kind.state,
        responses=_ERRORS,
        summary=f"the {kind.noun} as recorded",
        name=f"show_{kind.kind}",
    )
    async def show(
        request: Request, principal: Signed, partnership: Tenant, ref: RecordRef
    ) -> JSONResponse:
        services = request.app.state.ctx.services
        state = await run_in_threadpool(_read, services, kind, partnership, ref)
        return JSONResponse(state.model_dump(mode="json"))

    OpenBody = body_model(kind.opener, exclude=("partnership",))

    @router.post(
        prefix,
        tags=[kind.segment],
        response_model=kind.state,
        status_code=201,
        responses=_WRITE_ERRORS,
        summary=(kind.opener.__doc__ or f"open a {kind.noun}").strip().splitlines()[0],
        name=f"open_{kind.kind}",
    )
    async def open_record(
        request: Request,
        principal: Opener,
        partnership: Tenant,
        body: OpenBody,  # type: ignore[valid-type]
        template: Annotated[
            str | None,
            Query(
                pattern="^(" + "|".join(sorted(TEMPLATES)) + ")$",
                description="a programme's timetable when the body gives no entries",
            ),
        ] = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        data = {
            **body.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
            "partnership": partnership,
            "actor": actor_for(principal),
        }
        if kind.kind == "programme" and not data.get("entries") and template:
            data["entries"] = [e.model_dump() for e in TEMPLATES[template]()]
        command = kind.opener.model_validate(data)
        key = _key(principal, kind, partnership, "open", command, idempotency_key)

        async def act() -> Any:
            return await open_lifecycle_3(request, kind, command, key)

        return await idempotent(request, principal, idempotency_key, body, 201, act, replay=True)

    for step, command_type in kind.commands.items():
        _register_step(router, kind, step, command_type)


async def open_lifecycle_3(request: Request, kind: Kind, command: Command, key: str) -> Any:
    """Open a lifecycle-3 record (the API's and the pages' one way); a programme's
    schedules are then brought in step."""
    services = request.app.state.ctx.services
    state = await run_in_threadpool(
        lambda: getattr(services.programme, kind.open_method)(command, key=key)
    )
    out: dict[str, Any] = state.model_dump(mode="json")
    if kind.kind == "programme":
        out |= await sync_schedules(request, state)
    return out


def _key(
    principal: Principal,
    kind: Kind,
    partnership: str,
    ref: str,
    command: Command,
    idempotency_key: str | None,
    step: str = "open",
) -> str:
    """The record's idempotency key: the client's (per principal), else the CLI's."""
    if idempotency_key is not None:
        return f"api/{principal.subject}/{idempotency_key}"
    return derived_step_key(
        kind=kind.kind,
        partnership=partnership,
        ref=ref,
        step=step,
        command=command,
        day=datetime.now(LONDON).date(),
    )


def _register_step(router: APIRouter, kind: Kind, step: str, command_type: type[Command]) -> None:
    Body = body_model(command_type)
    summary = (command_type.__doc__ or step.replace("_", " ")).strip().splitlines()[0]

    @router.post(
        f"/partnerships/{{p}}/{kind.segment}/{{ref}}/steps/{step.replace('_', '-')}",
        tags=[kind.segment],
        response_model=kind.state,
        responses=_WRITE_ERRORS,
        summary=summary,
        name=f"{kind.kind}_{step}",
    )
    async def record_step(
        request: Request,
        principal: Recorder,
        partnership: Tenant,
        ref: RecordRef,
        body: Body,  # type: ignore[valid-type]
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        command = command_type.model_validate(
            {**body.model_dump(exclude_unset=True), "actor": actor_for(principal)}  # type: ignore[attr-defined]
        )
        check_agency_answer(principal, kind, command)
        services = request.app.state.ctx.services
        target = record_ref(kind, ref)
        key = _key(principal, kind, partnership, ref, command, idempotency_key, step)
        record: Callable[..., Any] = getattr(services.programme, f"record_{kind.kind}_step")

        async def act() -> Any:
            state = await run_in_threadpool(
                lambda: record(
                    partnership,
                    target,
                    step,
                    command,
                    key=key,
                    today=datetime.now(LONDON).date(),
                )
            )
            out: dict[str, Any] = state.model_dump(mode="json")
            if kind.kind == "programme":
                out |= await sync_schedules(request, state)
            return out

        return await idempotent(request, principal, idempotency_key, body, 200, act, replay=True)


def programme_api_router() -> APIRouter:
    router = APIRouter()
    for kind in KINDS:
        _register_kind(router, kind)
    return router
