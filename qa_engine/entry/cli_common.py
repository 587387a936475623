"""What the ``qa-engine`` command modules share: exit codes, output (human or
``--json``), the recording actor, and options generated from command models.

It sits below ``cli`` (the composition root), ``cli_read`` and ``cli_qa``, so that
they import it rather than each other. What the HTTP API does the same way for its
principal (tenant, scope, recorded actor) is in ``entry.acting``, below both.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import sys
import types
import typing
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_settings import SettingsError

from domain.calendar import LONDON, due_day
from domain.errors import CaseNotFound, DomainError, InvalidInput
from domain.tenancy import Principal, Role, Scope
from domain.values import Day, FreeText, invalid_input
from qa_engine.config import Settings
from qa_engine.entry.acting import (
    actor_for,
    check_tenant,
    derived_step_key,
    scope_for,
    step_update_id,
)

if TYPE_CHECKING:
    from qa_engine.bootstrap import Services

__all__ = [
    "EXIT_INFRA",
    "EXIT_INVALID",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_REJECTED",
    "Output",
    "_actor",
    "_london_today",
    "add_model_options",
    "add_request_option",
    "caught_up_runner",
    "check_tenant",
    "configure_logging_for",
    "model_input",
    "parents",
    "parse_as_at",
    "parse_day",
    "parse_text",
    "principal_of",
    "request_id_of",
    "run_command",
    "scope_of",
    "services_and_runner",
    "tenant_of",
    "terminal_safe",
]

EXIT_OK, EXIT_REJECTED, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_INFRA = 0, 1, 2, 3, 4


#: bidirectional embeddings, overrides, isolates and marks (as ``domain.values`` refuses)
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def terminal_safe(text: str) -> str:
    """``text`` as it may reach a terminal: control characters (ANSI escapes, carriage
    returns, NUL, ...), line/paragraph separators, lone surrogates and bidirectional
    controls shown as visible escapes (``\\x1b``, ``\\r``, ``\\u202e``); newlines and
    tabs kept. Data stored before the entry rules (``domain.values.clean_text``) may
    hold any of them: printed raw they could rewrite the screen or reorder a line."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) in {"Cc", "Zl", "Zp", "Cs"}:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def data(self, obj: Any, human: Callable[[], str]) -> None:
        """Print ``obj`` (``--json``) or its human rendering, made terminal-safe."""
        if self.as_json:
            payload = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
            sys.stdout.write(
                orjson.dumps(payload, default=_json_default, option=orjson.OPT_INDENT_2).decode()
                + "\n"
            )
        else:
            sys.stdout.write(terminal_safe(human()) + "\n")


def _json_default(o: Any) -> Any:
    if isinstance(o, BaseModel):
        return o.model_dump(mode="json")
    raise TypeError


def _london_today() -> date:
    return datetime.now(LONDON).date()


def principal_of(settings: Settings) -> Principal:
    """Who runs this command: the one principal every CLI command acts for.

    The CLI's sign-in is the process environment of the person running it:
    ``QA_ACTOR_NAME``, ``QA_ACTOR_ROLE`` (one of the roles), ``QA_PARTNERSHIP`` and
    ``QA_PRINCIPAL_SUBJECT`` (default ``local:<login name>``). Nothing typed on the
    command line can change whom a step is recorded as.
    """
    if not settings.actor_name:
        raise DomainError(
            "who is acting is not set: export QA_ACTOR_NAME (and QA_ACTOR_ROLE)",
            field="QA_ACTOR_NAME",
            rule="principal_required",
        )
    roles = {r.value.lower(): r for r in Role}
    role = roles.get((settings.actor_role or "").strip().lower())
    if role is None:
        raise DomainError(
            f"QA_ACTOR_ROLE must be one of: {', '.join(r.value for r in Role)}"
            f" (got {settings.actor_role!r})",
            field="QA_ACTOR_ROLE",
            rule="known_role",
        )
    subject = settings.principal_subject or f"local:{_login()}"
    try:
        return Principal(
            subject=subject,
            name=settings.actor_name,
            partnership=settings.partnership.upper(),
            roles=(role,),
            agencies=settings.actor_agencies,
        )
    except ValidationError as e:
        first = e.errors()[0]
        field = {
            "name": "QA_ACTOR_NAME",
            "partnership": "QA_PARTNERSHIP",
            "agencies": "QA_ACTOR_AGENCIES",
        }.get(str(first["loc"][0]), "QA_PRINCIPAL_SUBJECT")
        raise DomainError(first["msg"], field=field, rule=first["type"]) from None


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def scope_of(settings: Settings) -> Scope | None:
    """What the principal's queries may return: their partnership (and, for an
    agency's lead, their agencies' records); ``None`` (everything) for operations."""
    return scope_for(principal_of(settings), agencies_field="QA_ACTOR_AGENCIES")


def tenant_of(ns: argparse.Namespace, settings: Settings) -> str:
    """The partnership a command acts in: ``--partnership``, else the principal's own.

    Another partnership than the principal's is refused (operations staff excepted).
    """
    principal = principal_of(settings)
    wanted = getattr(ns, "tenant", None) or principal.partnership
    return check_tenant(principal, str(wanted), what=f"partnership {str(wanted).upper()}")


def _actor(
    ns: argparse.Namespace, settings: Settings, *, records: bool = True
) -> dict[str, str | None]:
    """The actor recorded for this command, from the principal (never from input).

    ``records``: the command records a step, so read-only roles are refused.
    """
    return actor_for(principal_of(settings), records=records)


# ----------------------------------------------------------- request ids

_REQUEST_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def add_request_option(parser: argparse.ArgumentParser) -> None:
    """``--request-id``: the step's idempotency key (default: derived from the command)."""
    parser.add_argument(
        "--request-id",
        dest="request_id",
        help="retry key: the same key records the step once (default: derived from this "
        "command, its arguments and today's date, so re-running it is recognised)",
    )


def request_id_of(
    ns: argparse.Namespace,
    settings: Settings,
    *,
    kind: str,
    partnership: str,
    ref: str,
    step: str,
    command: BaseModel,
) -> str:
    """The Temporal update id of a step sent from the command line.

    The key is ``--request-id`` if given, else derived from the record, the step, its
    arguments (not who acts) and today's London date: re-running the same command the
    same day, after an ambiguous failure, sends the same id, and Temporal and the store
    record it once (to record an identical step twice the same day, give a new
    ``--request-id``). The key is kept on ``ns.request_key`` so failures can print it.
    The update id scopes the key to the principal and step (two people's keys never
    meet) and names nothing personal."""
    given = getattr(ns, "request_id", None)
    if given is not None:
        if not _REQUEST_KEY.fullmatch(given):
            raise InvalidInput(
                "a request id is 1-100 letters, digits or . _ : - (starting with a letter "
                "or digit)",
                field="request_id",
                rule="request_id_pattern",
            )
        key = str(given)
    else:
        key = derived_step_key(
            kind=kind,
            partnership=partnership,
            ref=ref,
            step=step,
            command=command,
            day=_london_today(),
        )
    ns.request_key = key
    return step_update_id(principal_of(settings).subject, kind, step, key)


# ------------------------------------------------------- step option parsing


def _origin(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    return typing.get_origin(annotation), typing.get_args(annotation)


def _unwrap_optional(annotation: Any) -> Any:
    origin, args = _origin(annotation)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    origin, args = _origin(_unwrap_optional(annotation))
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return args[0]
    return None


def add_model_options(parser: argparse.ArgumentParser, model: type[BaseModel]) -> None:
    """Options generated from a command model's fields (dashes for underscores)."""
    for name, field in model.model_fields.items():
        if name == "actor":
            continue
        flag = "--" + name.replace("_", "-")
        annotation = _unwrap_optional(field.annotation)
        required = field.is_required()
        help_text = field.description or ""
        if annotation is bool:
            parser.add_argument(
                flag,
                dest=name,
                action=argparse.BooleanOptionalAction,
                required=required,
                help=help_text,
            )
        elif _origin(annotation)[0] is list:
            item = _list_item_model(annotation)
            if item is not None:
                keys = list(item.model_fields)
                help_text = f"repeatable: {keys[0].upper()}={keys[1].upper()} or JSON"
            parser.add_argument(
                flag, dest=name, action="append", required=required, help=help_text or "repeatable"
            )
        else:
            parser.add_argument(flag, dest=name, required=required, help=help_text)


def model_input(model: type[BaseModel], ns: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if name == "actor" or getattr(ns, name, None) is None:
            continue
        value = getattr(ns, name)
        item = _list_item_model(field.annotation)
        if item is not None:
            keys = list(item.model_fields)
            parsed = []
            for raw in value:
                if raw.lstrip().startswith("{"):
                    try:
                        parsed.append(json.loads(raw))
                    except ValueError as e:
                        raise InvalidInput(
                            f"not valid JSON ({e}): give {keys[0].upper()}={keys[1].upper()} "
                            "or a JSON object",
                            field=name,
                            rule="json_syntax",
                        ) from None
                elif "=" in raw:
                    a, b = raw.split("=", 1)
                    parsed.append({keys[0]: a.strip(), keys[1]: b.strip()})
                else:
                    parsed.append({keys[0]: raw})
            value = parsed
        data[name] = value
    return data


_DAY: Any = TypeAdapter(Day)
_TEXT: Any = TypeAdapter(FreeText)


def records_table(
    rows: list[Any],
    *,
    ref: Callable[[Any], str],
    titles: tuple[str, str],
    widths: tuple[int, int],
    empty: str,
) -> str:
    """The ``list`` commands' table: reference, partnership, stage, next due day and
    whether a clock has passed (``titles``: the reference and flag columns' names)."""
    if not rows:
        return empty
    w_ref, w_stage = widths
    lines = [
        f"{titles[0]:<{w_ref}} {'PARTNERSHIP':<12} {'STAGE':<{w_stage}} {'NEXT DUE DAY':<13} "
        + titles[1]
    ]
    for r in rows:
        nd = due_day(r.next_deadline).isoformat() if r.next_deadline else "-"
        lines.append(
            f"{ref(r):<{w_ref}} {r.partnership:<12} {r.stage:<{w_stage}} {nd:<13} "
            f"{'yes' if r.breached else 'no'}"
        )
    return "\n".join(lines)


def parse_day(raw: str, field: str) -> date:
    """A ``YYYY-MM-DD`` option, checked like a command's day (``domain.values.Day``)."""
    try:
        day: date = _DAY.validate_python(raw)
    except ValidationError as e:
        _, rule, message = invalid_input(e)
        raise InvalidInput(message, field=field, rule=rule) from None
    return day


def parse_text(raw: str, field: str) -> str:
    """A free-text option (a reading's purpose), cleaned like a command's text."""
    try:
        text: str = _TEXT.validate_python(raw)
    except ValidationError as e:
        _, rule, message = invalid_input(e)
        raise InvalidInput(message, field=field, rule=rule) from None
    return text


def parse_as_at(raw: str | None) -> datetime | None:
    """``--as-at``: an ISO timestamp (London time unless it names its offset)."""
    if raw is None:
        return None
    try:
        as_at = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"{raw[:40]!r} is not an ISO timestamp (e.g. 2026-06-01T12:00 or 2026-06-01)",
            field="as_at",
            rule="iso_timestamp",
        ) from None
    return as_at if as_at.tzinfo is not None else as_at.replace(tzinfo=LONDON)


# ------------------------------------------------------------ the store


@contextmanager
def services_and_runner(settings: Settings) -> Iterator[tuple[Services, Any]]:
    """Every service, and the projection runner over the (one) event store."""
    from projections.catalogue import build_runner
    from qa_engine.bootstrap import bootstrap

    services = bootstrap(settings)
    try:
        yield services, build_runner(services.reviews, batch_size=settings.projection_batch_size)
    finally:
        services.close()


@contextmanager
def projection_runner(settings: Settings) -> Iterator[Any]:
    with services_and_runner(settings) as (_, runner):
        yield runner


@contextmanager
def caught_up_runner(settings: Settings, *, catch_up: bool = True) -> Iterator[Any]:
    """The projection runner, its views caught up with the log first (unless not)."""
    with projection_runner(settings) as runner:
        if catch_up:
            runner.catch_up()
        yield runner


# ------------------------------------------------------------------ running


def parents() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser, argparse.ArgumentParser]:
    """The option groups commands share: ``common`` (``--json``), ``tenant``
    (``--partnership``), ``actor`` (none: who acts comes from the principal,
    QA_ACTOR_NAME / QA_ACTOR_ROLE, never from options)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    tenant = argparse.ArgumentParser(add_help=False)
    tenant.add_argument(
        "--partnership", dest="tenant", help="the case's partnership (default: QA_PARTNERSHIP)"
    )
    actor = argparse.ArgumentParser(add_help=False)
    return common, tenant, actor


def configure_logging_for(settings: Settings) -> None:
    from qa_engine.logging import configure_logging

    configure_logging(settings.log_level, json=settings.log_json)


def run_command(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` with ``parser`` and run the command it names: its exit code, and
    never a traceback (an error is one line, or one JSON object with ``--json``)."""
    ns = parser.parse_args(argv)
    out = Output(getattr(ns, "json", False))
    try:
        settings = Settings()
    except ValidationError as e:
        return _invalid(e, out)
    except SettingsError as e:  # a variable pydantic-settings could not even parse
        named = re.search(r'field "(\w+)"', str(e))
        field = f"QA_{named.group(1).upper()}" if named else "environment"
        problem = InvalidInput(
            f"{field} cannot be read: {e.__cause__ or e}", field=field, rule="environment"
        )
        return _error(out, "invalid", problem, EXIT_INVALID)
    if getattr(ns, "logs", True):  # a command that cannot log skips structlog's import
        configure_logging_for(settings)
    try:
        return int(asyncio.run(ns.func(ns, settings, out)))
    except ValidationError as e:
        return _invalid(e, out)
    except InvalidInput as e:
        return _error(out, "invalid", e, EXIT_INVALID)
    except CaseNotFound as e:
        return _error(out, "not found", e, EXIT_NOT_FOUND)
    except DomainError as e:
        return _error(out, "rejected", e, EXIT_REJECTED)
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as e:  # never a traceback: one line, and the exit code says what
        closed = _closed(e, ns)
        if closed is not None:
            return _error(out, "rejected", closed, EXIT_REJECTED)
        return _unavailable(out, e, getattr(ns, "request_key", None))


def _unavailable(out: Output, e: BaseException, key: str | None) -> int:
    """Exit 4: no worker, Temporal unreachable, or an outcome unknown. A step names the
    request id that re-sends it safely (never "refused": nothing refused it)."""
    from qa_engine.entry.workflow_calls import Unavailable

    message = e.message if isinstance(e, Unavailable) else _one_line(e)
    if out.as_json:
        sys.stdout.write(
            orjson.dumps({"error": "unavailable", "message": message, "request_id": key}).decode()
            + "\n"
        )
        return EXIT_INFRA
    sys.stderr.write(f"unavailable: {terminal_safe(message)}\n")
    if key is not None:
        sys.stderr.write(
            f"  the outcome is unknown: re-run the same command (or add --request-id {key});"
            " a step is recorded at most once\n"
        )
    return EXIT_INFRA


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return (
        text
        if isinstance(e, OSError | RuntimeError | TimeoutError)
        else (f"{type(e).__name__}: {text}")
    )


def _closed(e: BaseException, ns: argparse.Namespace) -> DomainError | None:
    """A step sent to a record whose workflow has completed: closed, not an outage."""
    if "already completed" not in str(e).lower():
        return None
    ref = getattr(ns, "ref", None) or "the record"
    return DomainError(
        f"{str(ref).upper()} is closed; nothing more can be recorded", rule="case_closed"
    )


def _error(out: Output, label: str, e: DomainError, code: int) -> int:
    if out.as_json:
        sys.stdout.write(
            orjson.dumps(
                {"error": label, "message": e.message, "field": e.field, "rule": e.rule}
            ).decode()
            + "\n"
        )
    else:
        where = ", ".join(
            x
            for x in (f"field {e.field}" if e.field else "", f"rule {e.rule}" if e.rule else "")
            if x
        )
        line = f"{label}: {e.message}" + (f" [{where}]" if where else "")
        sys.stderr.write(terminal_safe(line) + "\n")
    return code


def _invalid(e: ValidationError, out: Output) -> int:
    problems = [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "input",
            "rule": err["type"],
            "message": err["msg"].removeprefix("Value error, "),
        }
        for err in e.errors()
    ]
    if out.as_json:
        sys.stdout.write(
            orjson.dumps({"error": "invalid input", "problems": problems}).decode() + "\n"
        )
    else:
        for p in problems:
            line = f"invalid: {p['field']}: {p['message']} [rule {p['rule']}]"
            sys.stderr.write(terminal_safe(line) + "\n")
    return EXIT_INVALID
