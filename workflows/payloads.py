"""The payload converter of every client, worker and replayer: pydantic JSON, with
what a command that fails its rules means where it is decoded.

- In a workflow replaying its history, a command (or any model) that an earlier
  release accepted but today's rules refuse is decoded again under
  ``domain.values.REPLAYING_STORED``: the value rules that tightened since
  (``iso_date``, ``date_in_calendar_range``, ``clean_text``, ``child_ref_pattern``)
  let it through, so the history still replays (a history is stored data). A
  whole-model rule (a ``model_validator``) added or tightened since is not applied
  again either: a model its validators still refuse is rebuilt field by field
  (each field decoded by its type, leniently) without its model validators
  (``lenient_stored``).
- In a workflow receiving a new update, or an activity receiving its input, a
  value that breaks a rule is an ``InvalidInput`` refusal naming the field and rule
  (non-retryable), not an anonymous decoding failure: the caller's update is
  rejected with nothing recorded and the CLI exits 2.
- Anywhere else the value was written by this system and is decoded tolerantly
  too: a client reading a result, and a workflow's start input (the SDK decodes it
  before the workflow's event loop runs, so replay cannot be told from a first run;
  a new record's opening is checked again, strictly, by the activity that records it).
"""

from __future__ import annotations

import json
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.values import REPLAYING_STORED, invalid_input

__all__ = ["QaPayloadConverter", "StoredTolerantJsonConverter", "lenient_stored"]


def lenient_stored(type_hint: Any, value: Any) -> Any:
    """``value`` (decoded JSON) as ``type_hint``, for a value an earlier release
    stored: the value rules let through what they accepted then
    (``REPLAYING_STORED``), and a model that its whole-model validators refuse today
    is rebuilt from its fields, each decoded the same way, without those validators.
    A value that does not fit its type at all still fails."""
    try:
        return TypeAdapter(type_hint).validate_python(value, context=REPLAYING_STORED)
    except ValidationError:
        origin = get_origin(type_hint)
        if isinstance(type_hint, type) and issubclass(type_hint, BaseModel):
            if not isinstance(value, dict):
                raise
            fields = {
                name: lenient_stored(Annotated[(f.annotation, *f.metadata)], value[key])
                if f.metadata
                else lenient_stored(f.annotation, value[key])
                for name, f in type_hint.model_fields.items()
                if (key := f.alias or name) in value
            }
            return type_hint.model_construct(**fields)
        if origin is Annotated:
            # only to reach a model inside: a plain value's constraints still apply
            base = get_args(type_hint)[0]
            if get_origin(base) is None and not (
                isinstance(base, type) and issubclass(base, BaseModel)
            ):
                raise
            return lenient_stored(base, value)
        if origin in (list, tuple, set, frozenset) and isinstance(value, list):
            (item, *_) = get_args(type_hint) or (Any,)
            return origin(lenient_stored(item, v) for v in value)
        if origin is dict and isinstance(value, dict):
            _, item = get_args(type_hint) or (Any, Any)
            return {k: lenient_stored(item, v) for k, v in value.items()}
        if origin in (Union, types.UnionType):
            for arg in get_args(type_hint):
                if arg is type(None) and value is not None:
                    continue
                try:
                    return lenient_stored(arg, value)
                except ValidationError:
                    continue
        raise


class StoredTolerantJsonConverter(PydanticJSONPlainPayloadConverter):
    """Pydantic JSON, lenient on replay and a named refusal on new input (module doc)."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as e:
            live = workflow.in_workflow() and not workflow.unsafe.is_replaying()
            if not live and not activity.in_activity():
                adapter: TypeAdapter[Any] = TypeAdapter(type_hint if type_hint else Any)
                try:
                    return adapter.validate_json(payload.data, context=REPLAYING_STORED)
                except ValidationError:  # a whole-model rule refuses it today
                    return lenient_stored(type_hint or Any, json.loads(payload.data))
            field, rule, message = invalid_input(e)
            raise ApplicationError(
                f"{field}: {message}",
                {"field": field, "rule": rule},
                type="InvalidInput",
                non_retryable=True,
            ) from None


class QaPayloadConverter(CompositePayloadConverter):
    """Temporal's default converters with JSON replaced by ``StoredTolerantJsonConverter``."""

    def __init__(self) -> None:
        json = StoredTolerantJsonConverter()
        super().__init__(
            *(
                json if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )
