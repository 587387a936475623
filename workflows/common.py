"""What every workflow shares: activity options, rejections, and the London date."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import LONDON
    from domain.errors import DomainError

__all__ = ["ACTIVITY_TIMEOUT", "RETRY", "execute", "london_today", "rejected"]

ACTIVITY_TIMEOUT = timedelta(seconds=30)
#: Infrastructure failures retry (idempotency keys make that safe), at most
#: ``maximum_attempts`` times (about four minutes): a step never waits for ever
#: under the workflow's lock. Rule violations and programming errors never retry.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=10,
    non_retryable_error_types=[
        "RuleViolation",
        "OutOfOrder",
        "CaseNotFound",
        "CaseAlreadyExists",
        "InvalidInput",
        "ProgrammingError",
    ],
)

T = TypeVar("T")


def rejected(err: DomainError) -> ApplicationError:
    """A domain rule's refusal as the error a caller sees (type, field and rule kept)."""
    return ApplicationError(
        str(err),
        {"field": err.field, "rule": err.rule},
        type=type(err).__name__,
        non_retryable=True,
    )


def london_today() -> date:
    """Today in Europe/London by workflow time (deterministic on replay)."""
    return workflow.now().astimezone(LONDON).date()


async def execute(name: str, arg: Any, result_type: type[T]) -> T:
    """Run one activity; a domain refusal surfaces as the activity's own ApplicationError."""
    try:
        result: T = await workflow.execute_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
    except ActivityError as e:
        cause = e.cause
        if isinstance(cause, ApplicationError):
            raise ApplicationError(
                cause.message, *cause.details, type=cause.type, non_retryable=True
            ) from e
        raise
    return result
