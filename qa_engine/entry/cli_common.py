"""What the ``qa-engine`` command modules share: exit codes, output (human or
``--json``), the recording actor, and options generated from command models.

It sits below ``cli`` (the composition root), ``cli_read`` and ``cli_qa``, so that
they import it rather than each other.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import BaseModel

from domain.calendar import LONDON
from qa_engine.config import Settings

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
    "model_input",
    "tenant_of",
]

EXIT_OK, EXIT_REJECTED, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_INFRA = 0, 1, 2, 3, 4


class Output:
    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json

    def data(self, obj: Any, human: Callable[[], str]) -> None:
        if self.as_json:
            payload = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
            sys.stdout.write(
                orjson.dumps(payload, default=_json_default, option=orjson.OPT_INDENT_2).decode()
                + "\n"
            )
        else:
            sys.stdout.write(human() + "\n")


def _json_default(o: Any) -> Any:
    if isinstance(o, BaseModel):
        return o.model_dump(mode="json")
    raise TypeError


def _london_today() -> date:
    return datetime.now(LONDON).date()


def tenant_of(ns: argparse.Namespace, settings: Settings) -> str:
    """The partnership a command acts in: ``--partnership``, else ``QA_PARTNERSHIP``."""
    return str(getattr(ns, "tenant", None) or settings.partnership).upper()


def _actor(ns: argparse.Namespace, settings: Settings) -> dict[str, str | None]:
    return {
        "name": ns.actor_name or settings.actor_name,
        "role": ns.actor_role or settings.actor_role,
    }


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
                    parsed.append(json.loads(raw))
                elif "=" in raw:
                    a, b = raw.split("=", 1)
                    parsed.append({keys[0]: a.strip(), keys[1]: b.strip()})
                else:
                    parsed.append({keys[0]: raw})
            value = parsed
        data[name] = value
    return data
