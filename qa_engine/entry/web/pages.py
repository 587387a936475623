"""The pages: server-rendered HTML from GOV.UK Frontend components (no JavaScript needed).

    /sign-in                               the sign-in form (password + security code)
    /inbox                                 what I / my agency owe next, overdue first
    /oversight                             every open record: RAG, counts, timeliness
    /records/{records}/{ref}               stage, clocks, timeline, a form for each step
    /records/{records}/{ref}/steps/{step}  POST one step's form
    /records/{records}/{ref}/history       as at / as of, verify result, access log
                                           (a purpose asked for and recorded)

Every page acts for the signed-in principal through the same application layer as
the HTTP API (``routes.perform_step``, ``entry.acting``, the services): the same
scope checks, the same CSRF token (form field ``csrf_token``), the same
idempotency (each form carries a key: a repeated submit records nothing twice). A
refusal records nothing and shows the GOV.UK error summary naming the field and rule.

The pages are not in the OpenAPI document: they are the browser's door, the API is
the machine's. govuk-frontend's CSS, JS and images are served from the npm package
that ``run.py setup`` installs (``assets.frontend_dir``); no GOV.UK font or crown.
"""

import secrets
import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ValidationError

from domain.calendar import LONDON, count_working_days
from domain.errors import CaseNotFound, DomainError, InvalidInput
from domain.steps import allowed_now
from domain.tenancy import OutsideScope, Principal, Role
from domain.values import Command
from projections import queries
from projections.outbox import OutboxRow, for_agencies, outbox_rows
from qa_engine.accounts import SignInRefused
from qa_engine.entry.acting import actor_for, check_agency, check_tenant, scope_for
from qa_engine.entry.web.auth import CSRF_COOKIE, SESSION_COOKIE, Signed, signed_in
from qa_engine.entry.web.lifecycles import NOUNS, RECORDS, RESOURCES
from qa_engine.entry.web.problems import Unauthorized, _field_problems
from qa_engine.entry.web.routes import (
    Where,
    live_state,
    may_open,
    perform_step,
    stored_state,
)

__all__ = ["pages_router", "render"]

TEMPLATES = Environment(
    loader=PackageLoader("qa_engine.entry.web", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TITLES = {
    "review": "Review case",
    "audit": "Audit",
    "actionplan": "Action plan",
    "childofconcern": "Child of concern",
}


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status)


def _humanise(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _signed_or_none(request: Request) -> Any:
    return getattr(request.state, "signed", None)


async def _principal(request: Request) -> Principal | None:
    """The signed-in principal, or ``None`` (the page then sends them to sign in)."""
    try:
        return await signed_in(request)
    except Unauthorized:
        return None


async def form_sender(request: Request) -> Principal | Response:
    """Who sent a form: the signed-in principal (its CSRF token checked), or the page
    to answer with instead (sign in; a form that has expired)."""
    try:
        return await signed_in(request)
    except Unauthorized:
        return _to_sign_in()
    except OutsideScope as e:
        return expired(e)


def _page(request: Request, principal: Principal, name: str, **context: Any) -> HTMLResponse:
    signed: Signed = request.state.signed
    status = context.pop("status", 200)
    return render(
        name,
        status,
        me=principal,
        role=principal.role.value,
        csrf=signed.csrf or "",
        path=request.url.path,
        dev_mail=request.app.state.ctx.settings.dev_mail_dir is not None,
        **context,
    )


def form_refusal(e: ValidationError | DomainError) -> tuple[list[dict[str, str]], int]:
    """A form's refusal: the error summary's rows (field, rule, message) and the page's
    status (422 invalid input, 403 outside scope, 404 not found, 409 a rule)."""
    if isinstance(e, ValidationError):
        return [p.model_dump() for p in _field_problems(list(e.errors()))], 422
    status = (
        403
        if isinstance(e, OutsideScope)
        else 404
        if isinstance(e, CaseNotFound)
        else 422
        if isinstance(e, InvalidInput)
        else 409
    )
    return [{"field": e.field or "", "rule": e.rule or "", "message": e.message}], status


def expired(e: DomainError) -> HTMLResponse:
    """A form whose CSRF token no longer matches the session (403; nothing recorded)."""
    return render(
        "refused.html",
        403,
        me=None,
        path="",
        title="This form has expired",
        errors=[{"field": e.field or "", "rule": e.rule or "", "message": e.message}],
    )


async def _may_open(principal: Principal) -> bool:
    """Whether the principal may open records (the oversight page links the forms)."""
    try:
        await may_open(principal)
    except DomainError:
        return False
    return True


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse("/sign-in", status_code=303)


def _refused(request: Request, principal: Principal, e: DomainError, status: int) -> HTMLResponse:
    return _page(
        request,
        principal,
        "refused.html",
        title="You cannot see this",
        errors=[{"field": e.field or "", "rule": e.rule or "", "message": e.message}],
        status=status,
    )


#: for the pages of other modules (``entry.web.devmail``, ``entry.web.programme_pages``)
page, signed_in_or_none, to_sign_in, refused = _page, _principal, _to_sign_in, _refused


# ------------------------------------------------------------------ step forms


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside ``X | None`` and ``Annotated[X, ...]``; whether it is optional."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, optional


def form_fields(command: type[Command]) -> list[dict[str, Any]]:
    """How each input of ``command`` is asked for in a form (no JavaScript)."""
    out = []
    for name, info in command.model_fields.items():
        if name == "actor":
            continue
        kind, optional = _unwrap(info.annotation)
        field: dict[str, Any] = {
            "name": name,
            "label": _humanise(name),
            "hint": info.description or "",
            "required": info.is_required() and not optional,
            "options": [],
            "parts": [],
        }
        origin = typing.get_origin(kind)
        if kind is bool:
            field["type"] = "checkbox"
        elif kind is date:
            field["type"] = "date"
        elif kind is int:
            field["type"] = "number"
        elif isinstance(kind, type) and issubclass(kind, Enum):
            field["type"] = "select"
            field["options"] = [m.value for m in kind]
        elif origin is typing.Literal:
            field["type"] = "select"
            field["options"] = [str(a) for a in typing.get_args(kind)]
        elif origin is list:
            inner, _ = _unwrap(typing.get_args(kind)[0])
            field["type"] = "lines"
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                field["parts"] = list(inner.model_fields)
                field["hint"] = (
                    f"One a line: {', '.join(_humanise(p).lower() for p in field['parts'])}, "
                    "separated by commas"
                )
            else:
                field["hint"] = (field["hint"] + " (one a line)").strip()
        elif isinstance(kind, type) and issubclass(kind, BaseModel):
            field["type"] = "text"
            field["parts"] = list(kind.model_fields)
            field["hint"] = f"{', '.join(field['parts'])}, separated by commas"
        else:
            field["type"] = "textarea" if name in {"rationale", "reason", "notes"} else "text"
        out.append(field)
    return out


def form_data(command: type[Command], form: dict[str, str]) -> dict[str, Any]:
    """The command's input from a form's strings (blank optional inputs left out)."""
    data: dict[str, Any] = {}
    for field in form_fields(command):
        name, raw = field["name"], form.get(field["name"], "").strip()
        if field["type"] == "checkbox":
            data[name] = raw in {"true", "on", "yes"}
        elif field["type"] == "lines":
            lines = [line.strip() for line in raw.replace("\r", "").split("\n") if line.strip()]
            if field["parts"]:
                data[name] = [
                    dict(zip(field["parts"], (p.strip() for p in line.split(",")), strict=False))
                    for line in lines
                ]
            elif lines or field["required"]:
                data[name] = lines
        elif field["parts"] and raw:
            data[name] = dict(
                zip(field["parts"], (p.strip() for p in raw.split(",")), strict=False)
            )
        elif raw:
            data[name] = raw
    return data


def step_forms(commands: dict[str, type[Command]]) -> list[dict[str, Any]]:
    """A form for each step: its title, its fields and a fresh idempotency key (a
    resent form records once)."""
    return [
        {
            "step": step,
            "slug": step.replace("_", "-"),
            "title": (command.__doc__ or _humanise(step)).strip().splitlines()[0],
            "name": _humanise(step),
            "fields": form_fields(command),
            "key": secrets.token_urlsafe(16),
        }
        for step, command in commands.items()
    ]


def offered(
    principal: Principal,
    state: Any,
    commands: dict[str, type[Command]],
    today: date,
    *,
    keep: str = "",
    answers: frozenset[str] = frozenset({"agency", "owner_agency", "action_id"}),
) -> dict[str, type[Command]]:
    """The steps to offer a form for: those the record's state allows now
    (``domain.steps.allowed_now``), and for an agency's safeguarding lead only the
    steps that answer for an agency (naming one of ``answers``); ``keep``: a step
    whose form is being re-shown."""
    allowed = set(allowed_now(state, commands, today)) | {keep}
    scope = scope_for(principal)
    return {
        step: c
        for step, c in commands.items()
        if step in allowed
        and (scope is None or scope.agencies is None or answers & set(c.model_fields))
    }


def _commands(kind: str) -> dict[str, type[Command]]:
    return RECORDS[kind].commands


# --------------------------------------------------------------- what is owed


def _clocks(state: Any) -> list[Any]:
    clocks = getattr(state, "deadlines", None) or getattr(state, "clocks", {})
    return list(clocks.values())


#: (class, name) -> whether the class has no such attribute (field, property or method)
_LACKS: dict[tuple[type, str], bool] = {}


def _opt(obj: Any, name: str, default: Any = None) -> Any:
    """``getattr(obj, name, default)`` for the fields one kind of clock has and another
    lacks: a pydantic model's missing attribute costs an exception each time, and the
    inbox asks it of every clock of every record it lists."""
    fields = obj.__dict__
    if name in fields:
        return fields[name]
    key = (type(obj), name)
    lacks = _LACKS.get(key)
    if lacks is None:
        lacks = _LACKS[key] = not hasattr(type(obj), name)
    return default if lacks else getattr(obj, name, default)


def _owner(clock: Any) -> str:
    return str(_opt(clock, "owner_role") or _opt(clock, "owner", ""))


#: a clock's stored status -> how the pages say it
_CLOSED_AS = {"not_met": "not met", "not_required": "not required"}


def clock_rows(state: Any, today: date, calendar: Any) -> list[dict[str, Any]]:
    """A record's clocks as the pages show them: due day, working days left, RAG."""
    rows = []
    for c in sorted(_clocks(state), key=lambda c: c.due_on):
        left = None
        if c.is_open and not _opt(c, "paused_on"):
            left = count_working_days(calendar, today, c.due_on)  # constant time
        reminded = bool(_opt(c, "reminded", False)) or bool(
            [r for r in _opt(c, "reminders", ()) if r.astimezone(LONDON).date() <= today]
        )
        status = c.status if not c.is_open else ("paused" if left is None else "open")
        if c.is_open and left is not None and (left < 0 or today > c.due_on):
            status = "overdue"  # past a weekend due day too (no working day between)
        # issue 8's closings read as what they are (never "cancelled"), with the reason
        status = _CLOSED_AS.get(status, status)
        rows.append(
            {
                "key": c.key,
                "label": c.label,
                "rule": c.rule,
                "owner": _owner(c),
                "due_on": c.due_on,
                "left": left,
                "status": status,
                "reminded": reminded,
                "met_on": c.met_on,
                "late": c.late or bool(_opt(c, "breached", False)),
                "reason": _opt(c, "not_met_because"),
                "statutory": bool(_opt(c, "statutory", False)),
            }
        )
    return rows


def owed_by(principal: Principal, owner: str, key: str) -> bool:
    """Whether a clock is the principal's (their role's, or their agency's) to meet."""
    if Role.AGENCY_LEAD in principal.roles:
        return any(key.upper().endswith(f":{a.upper()}") for a in principal.agencies)
    return any(
        owner.lower() in {r.value.lower(), r.name.lower().replace("_", " ")}
        for r in principal.roles
    )


def inbox_items(
    services: Any,
    runner: Any,
    principal: Principal,
    *,
    today: date,
    calendar: Any,
    amber_working_days: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The inbox: every running clock of the open records the principal may see, theirs
    to meet first, then the others; soonest due first (call in a thread).

    Each record's clocks come from the state the oversight view was written from, read
    with its row in one query (issue 12: loading each record from the event store took
    5 ms a record on PostgreSQL); the event store only for a record the view holds no
    state of."""
    rows = queries.oversight_with_states(
        runner.db,
        runner.projections["oversight"],
        kinds=tuple(RECORDS),  # lifecycle 3 (programme, subgroups, ...): no page of its
        today=today,  # own yet; the oversight page lists it
        calendar=calendar,
        amber_working_days=amber_working_days,
        partnership=None if scope_for(principal) is None else principal.partnership,
        scope=scope_for(principal),
    )
    mine: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for row, state in rows:
        if state is None:
            try:
                state = RECORDS[row.kind].stored_state(services, row.partnership, row.ref)
            except DomainError:
                continue
        running = [
            c for c in clock_rows(state, today, calendar) if c["status"] in {"open", "overdue"}
        ]
        if not running:  # the next step has no clock: listed, with no due day
            running = [_undated(row)]
        for c in running:
            item = {
                **c,
                "kind": row.kind,
                "noun": TITLES[row.kind],
                "ref": row.ref,
                "segment": _segment(row.kind),
                "stage": row.stage,
            }
            (mine if owed_by(principal, c["owner"], c["key"]) else others).append(item)
    order = lambda i: (i["due_on"] or date.max, i["ref"])  # noqa: E731 - overdue first
    return sorted(mine, key=order), sorted(others, key=order)


# ------------------------------------------------------------------ the router


def pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def home() -> Response:
        return RedirectResponse("/inbox", status_code=303)

    @router.get("/sign-in")
    async def sign_in_page(request: Request) -> Response:
        token = secrets.token_urlsafe(32)
        response = render("sign_in.html", csrf=token, errors=[], username="", me=None, path="")
        _csrf_cookie(request, response, token)
        return response

    @router.post("/sign-in")
    async def sign_in(
        request: Request,
        username: Annotated[str, Form(max_length=120)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        code: Annotated[str, Form(max_length=10)] = "",
        csrf_token: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        ctx = request.app.state.ctx
        browser = "text/html" in request.headers.get("accept", "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        try:
            missing = [
                (n, v) for n, v in (("username", username), ("password", password), ("code", code))
            ]
            for name, value in missing:
                if not value:
                    raise SignInRefused(
                        f"enter your {name.replace('code', 'security code')}",
                        field=name,
                        rule="missing",
                    )
            if not expected or not secrets.compare_digest(csrf_token, expected):
                raise OutsideScope(
                    "the sign-in form is stale (no matching CSRF token): reload it",
                    field="csrf_token",
                    rule="csrf_token",
                )
            account = await run_in_threadpool(ctx.accounts.sign_in, username, password, code)
        except DomainError as e:
            if not browser:
                raise
            token = secrets.token_urlsafe(32)
            errors = [{"field": e.field or "username", "rule": e.rule or "", "message": e.message}]
            status = 403 if isinstance(e, OutsideScope) else 401
            response = render(
                "sign_in.html",
                status,
                csrf=token,
                errors=errors,
                username=username,
                me=None,
                path="",
            )
            _csrf_cookie(request, response, token)
            return response
        session, _ = await run_in_threadpool(ctx.accounts.start_session, account)
        signed_in_at: Response = RedirectResponse("/inbox" if browser else "/me", status_code=303)
        signed_in_at.set_cookie(
            SESSION_COOKIE,
            session,
            httponly=True,
            secure=ctx.settings.web_cookie_secure,
            samesite="strict",
            max_age=ctx.accounts.settings.web_session_minutes * 60,
        )
        signed_in_at.delete_cookie(CSRF_COOKIE)
        return signed_in_at

    @router.get("/inbox")
    async def inbox(request: Request) -> Response:
        principal = await _principal(request)
        if principal is None:
            return _to_sign_in()
        ctx = request.app.state.ctx
        today = datetime.now(LONDON).date()

        def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            from qa_engine.calendar import england_and_wales

            return inbox_items(
                ctx.services,
                ctx.caught_up_runner(),
                principal,
                today=today,
                calendar=england_and_wales(),
                amber_working_days=ctx.settings.amber_working_days,
            )

        mine, others = await run_in_threadpool(read)
        agency_lead = Role.AGENCY_LEAD in principal.roles
        return _page(
            request,
            principal,
            "inbox.html",
            title="Your tasks",
            mine=mine,
            others=others,
            agency_lead=agency_lead,
            today=today,
        )

    @router.get("/oversight")
    async def oversight(request: Request, rag: str = "", kind: str = "") -> Response:
        principal = await _principal(request)
        if principal is None:
            return _to_sign_in()
        ctx = request.app.state.ctx
        today = datetime.now(LONDON).date()
        rag = rag if rag in {"red", "amber", "green"} else ""
        kind = kind if kind in NOUNS else ""

        def read() -> tuple[list[queries.OversightRow], list[queries.TimelinessRow]]:
            from qa_engine.calendar import england_and_wales

            runner = ctx.caught_up_runner()
            scope = scope_for(principal)
            partnership = None if scope is None else principal.partnership
            rows = queries.oversight(
                runner.db,
                today=today,
                calendar=england_and_wales(),
                amber_working_days=ctx.settings.amber_working_days,
                partnership=partnership,
                kind=kind or None,
                rag_in={rag} if rag else None,
                scope=scope,
            )
            timeliness = queries.timeliness(
                runner.db,
                today=today,
                year_start_month=ctx.settings.reporting_year_start_month,
                partnership=partnership,
                scope=scope,
            )
            return rows, timeliness

        rows, timeliness = await run_in_threadpool(read)
        counts = {c: sum(1 for r in rows if r.rag == c) for c in ("red", "amber", "green")}
        return _page(
            request,
            principal,
            "oversight.html",
            title="Oversight",
            rows=rows,
            counts=counts,
            timeliness=timeliness,
            rag=rag,
            kind=kind,
            kinds=TITLES,
            segments={k: _segment(k) for k in NOUNS},
            may_open=await _may_open(principal),
        )

    async def _record_page(
        request: Request,
        principal: Principal,
        segment: str,
        ref: str,
        *,
        errors: list[dict[str, str]] | None = None,
        open_step: str = "",
        values: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        kind = RESOURCES.get(segment)
        if kind is None:
            return _refused(
                request,
                principal,
                CaseNotFound(f"no such kind of record: {segment}", field="records", rule="known"),
                404,
            )
        ctx = request.app.state.ctx
        ref = ref.upper()
        try:
            partnership = check_tenant(principal, principal.partnership, what="partnership")
            state = await live_state(request, kind, partnership, ref)
            check_agency(principal, kind, state, what=f"{NOUNS[kind]} {ref}")
        except OutsideScope as e:
            return _refused(request, principal, e, 403)
        except CaseNotFound as e:
            return _refused(request, principal, e, 404)
        today = datetime.now(LONDON).date()

        def read() -> tuple[list[queries.TrailRow], list[OutboxRow]]:
            from projections.catalogue import sealer_for

            runner = ctx.caught_up_runner()
            trail = queries.trail(
                runner.db, ref, partnership=partnership, sealer=sealer_for(runner.app), kind=kind
            )
            with runner.db.read() as cur:
                emails = outbox_rows(cur, partnership=partnership, ref=ref)
            # the emails of this record (a reference is unique within its kind); an
            # agency's lead sees those addressed to their agency
            emails = [e for e in emails if e.kind.replace("_", "") == kind]
            scope = scope_for(principal)
            if scope is not None and scope.agencies is not None:
                emails = for_agencies(emails, scope.agencies)
            return trail, emails

        trail, emails = await run_in_threadpool(read)
        from qa_engine.calendar import england_and_wales

        steps = []
        may_record = True
        try:
            actor_for(principal)
        except DomainError:
            may_record = False
        if may_record:
            steps = step_forms(offered(principal, state, _commands(kind), today, keep=open_step))
        return _page(
            request,
            principal,
            "record.html",
            title=f"{TITLES[kind]} {ref}",
            noun=TITLES[kind],
            kind=kind,
            segment=segment,
            ref=ref,
            state=state,
            stage=str(getattr(state, "stage", "")),
            outcome=getattr(state, "outcome", None),
            clocks=clock_rows(state, today, england_and_wales()),
            trail=trail,
            emails=emails,
            steps=steps,
            errors=errors or [],
            open_step=open_step,
            values=values or {},
            status=status,
        )

    @router.get("/records/{segment}/{ref}")
    async def record_page(request: Request, segment: str, ref: str) -> Response:
        principal = await _principal(request)
        if principal is None:
            return _to_sign_in()
        return await _record_page(request, principal, segment, ref)

    @router.post("/records/{segment}/{ref}/steps/{slug}")
    async def record_step(request: Request, segment: str, ref: str, slug: str) -> Response:
        principal = await form_sender(request)
        if isinstance(principal, Response):
            return principal
        kind = RESOURCES.get(segment)
        step = slug.replace("-", "_")
        commands = _commands(kind) if kind else {}
        if kind is None or step not in commands:
            return await _record_page(request, principal, "?", ref, status=404)
        command = commands[step]
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        key = form.get("idempotency_key") or None
        errors: list[dict[str, str]] = []
        try:
            check_tenant(principal, principal.partnership, what="partnership")
            validated = command.model_validate(
                {**form_data(command, form), "actor": actor_for(principal)}
            )
            where = Where(partnership=principal.partnership, ref=ref.upper())
            await perform_step(request, principal, kind, where, step, validated, key)
        except (ValidationError, DomainError) as e:
            errors, status = form_refusal(e)
        if errors:
            return await _record_page(
                request,
                principal,
                segment,
                ref,
                errors=errors,
                open_step=step,
                values=form,
                status=status,
            )
        return RedirectResponse(f"/records/{segment}/{ref.upper()}#timeline", status_code=303)

    @router.get("/records/{segment}/{ref}/history")
    async def history_page(
        request: Request,
        segment: str,
        ref: str,
        purpose: str = "",
        as_of: str = "",
    ) -> Response:
        principal = await _principal(request)
        if principal is None:
            return _to_sign_in()
        kind = RESOURCES.get(segment)
        if kind is None:
            return await _record_page(request, principal, "?", ref, status=404)
        ref = ref.upper()
        services = request.app.state.ctx.services
        errors: list[dict[str, str]] = []
        day: date | None = None
        if as_of:
            try:
                day = date.fromisoformat(as_of)
            except ValueError:
                errors.append(
                    {"field": "as_of", "rule": "date", "message": "enter a date like 2025-04-30"}
                )
        purpose = purpose.strip()
        if request.query_params and not 3 <= len(purpose) <= 200:
            errors.append(
                {
                    "field": "purpose",
                    "rule": "purpose_given",
                    "message": "say why you are reading this record (3 to 200 characters)",
                }
            )
        context: dict[str, Any] = {
            "title": f"History of {TITLES[kind].lower()} {ref}",
            "segment": segment,
            "ref": ref,
            "noun": TITLES[kind],
            "purpose": purpose,
            "as_of": as_of,
            "errors": errors,
            "events": None,
            "reads": [],
            "verify": None,
        }
        if errors or not request.query_params:
            return _page(
                request, principal, "history.html", status=422 if errors else 200, **context
            )
        try:
            partnership = check_tenant(principal, principal.partnership, what="partnership")
            state = await run_in_threadpool(stored_state, request, kind, partnership, ref)
            check_agency(principal, kind, state, what=f"{NOUNS[kind]} {ref}")
        except OutsideScope as e:
            return _refused(request, principal, e, 403)
        except CaseNotFound as e:
            return _refused(request, principal, e, 404)
        actor = actor_for(principal, records=False)

        def read() -> tuple[Any, Any, Any]:
            records = RECORDS[kind]
            events = records.read_history(
                services, partnership, ref, actor=actor, purpose=purpose, as_at=None, as_of=day
            )
            return (
                events,
                records.reads(services, partnership, ref),
                records.verify(services, partnership, ref),
            )

        events, reads, verify = await run_in_threadpool(read)
        context.update(events=events, reads=reads, verify=verify)
        return _page(request, principal, "history.html", **context)

    return router


def _undated(row: queries.OversightRow) -> dict[str, Any]:
    """A record's next step when no clock runs: its owner, no due day."""
    return {
        "key": "next_step",
        "label": f"Next step ({row.stage.replace('_', ' ')})",
        "rule": "no statutory clock",
        "owner": row.owner,
        "due_on": None,
        "left": None,
        "status": "open",
        "reminded": False,
        "met_on": None,
        "late": False,
    }


def _segment(kind: str) -> str:
    return RECORDS[kind].segment


def _csrf_cookie(request: Request, response: Response, token: str) -> None:
    secure = request.app.state.ctx.settings.web_cookie_secure
    response.set_cookie(CSRF_COOKIE, token, httponly=True, secure=secure, samesite="strict")
