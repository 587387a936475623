"""The payload converter of every client, worker and replayer: pydantic JSON, with
what a command that fails its rules means where it is decoded.

- In a workflow replaying its history, a command (or any model) that an earlier
  release accepted but today's rules refuse is decoded again under
  ``domain.values.REPLAYING_STORED``: the value rules that tightened since
  (``iso_date``, ``date_in_calendar_range``, ``clean_text``, ``child_ref_pattern``)
  let it through, so the history still replays (a history is stored data).
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

from typing import Any

from pydantic import TypeAdapter, ValidationError
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

__all__ = ["QaPayloadConverter", "StoredTolerantJsonConverter"]


class StoredTolerantJsonConverter(PydanticJSONPlainPayloadConverter):
    """Pydantic JSON, lenient on replay and a named refusal on new input (module doc)."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as e:
            live = workflow.in_workflow() and not workflow.unsafe.is_replaying()
            if not live and not activity.in_activity():
                adapter: TypeAdapter[Any] = TypeAdapter(type_hint if type_hint else Any)
                return adapter.validate_json(payload.data, context=REPLAYING_STORED)
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
