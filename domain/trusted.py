"""Models built from data this system already checked, without validating it again.

Stored events are checked when they are recorded and their chain is verified by
``verify``; the rows of a read model are written from them. Re-validating such data
on every read cost more than reading it (issue 12), so readers build their models
with ``trusted`` instead. Never use it on input from a person or another system.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

__all__ = ["trusted", "trusted_maker"]

M = TypeVar("M", bound=BaseModel)

_FIELDS: dict[type[BaseModel], frozenset[str]] = {}


def trusted(model: type[M], values: dict[str, Any]) -> M:
    """``model`` holding ``values`` (every field given), not validated: what
    ``model.model_construct`` does, without its per-field default bookkeeping."""
    fields = _FIELDS.get(model)
    if fields is None:
        fields = _FIELDS[model] = frozenset(model.model_fields)
    if values.keys() != fields:
        raise TypeError(f"{model.__name__} needs exactly {sorted(fields)}, got {sorted(values)}")
    obj = object.__new__(model)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(fields))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def trusted_maker(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """``trusted`` for many rows of one model: the fields looked up once, and a row's
    keys checked only by their number (a loop builds every row from the same literal
    dict, so the first row's full check, done here, holds for the rest)."""
    fields = _FIELDS.get(model)
    if fields is None:
        fields = _FIELDS[model] = frozenset(model.model_fields)
    size, checked = len(fields), False
    new, put = object.__new__, object.__setattr__

    def make(values: dict[str, Any]) -> M:
        nonlocal checked
        if not checked:
            obj = trusted(model, values)
            checked = True
            return obj
        if len(values) != size:
            raise TypeError(
                f"{model.__name__} needs exactly {sorted(fields)}, got {sorted(values)}"
            )
        obj = new(model)
        put(obj, "__dict__", values)
        put(obj, "__pydantic_fields_set__", set(fields))
        put(obj, "__pydantic_extra__", None)
        put(obj, "__pydantic_private__", None)
        return obj

    return make
