"""Activities: thin adapters from the workflow contracts to one service call each.

Domain errors become non-retryable ``ApplicationError`` named after the error's
type. A programming error (``TypeError``, a pydantic ``ValidationError``, ...)
would fail the same way on every attempt: it becomes a non-retryable
``ProgrammingError`` and is logged at error level (the alert), so the step
fails at once and the workflow's lock is freed. Anything else (a database
hiccup) is retried by Temporal, at most ``workflows.common.RETRY``'s attempts,
and the idempotency key makes every retry append nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from domain.errors import DomainError
from domain.review import COMMANDS, ReviewState
from qa_engine.reviews import ReviewService
from workflows.contracts import (
    RECORD_DEADLINE_BREACH,
    RECORD_DEADLINE_REMINDER,
    REPORT_INCIDENT,
    ClockInput,
    ReportInput,
    StepInput,
)

__all__ = ["PROGRAMMING_ERRORS", "domain_call", "named_step", "review_activities"]

log = structlog.get_logger("qa_engine.activities")
T = TypeVar("T")

#: Errors that no retry can cure: the code (or the data it was given) is wrong.
#: pydantic's ``ValidationError`` is a ``ValueError``.
PROGRAMMING_ERRORS: tuple[type[BaseException], ...] = (
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
    IndexError,
    LookupError,
    AssertionError,
    NameError,
    NotImplementedError,
)


def domain_call(fn: Callable[[], T], **context: Any) -> T:
    info = activity.info()
    bound = log.bind(
        workflow_id=info.workflow_id,
        run_id=info.workflow_run_id,
        activity=info.activity_type,
        attempt=info.attempt,
        **context,
    )
    try:
        result = fn()
    except DomainError as e:
        bound.info("rejected", error=type(e).__name__, rule=e.rule, field=e.field)
        # BENIGN: a refusal by a rule is this one log line, not the SDK's warning with
        # a traceback (issue 8); the failure itself reaches the workflow unchanged
        raise ApplicationError(
            str(e),
            {"field": e.field, "rule": e.rule},
            type=type(e).__name__,
            non_retryable=True,
            category=ApplicationErrorCategory.BENIGN,
        ) from None
    except PROGRAMMING_ERRORS as e:
        # The alert: operations see it in the worker log and the workflow's history.
        bound.error("programming error", error=type(e).__name__, exc_info=True)
        raise ApplicationError(
            f"{type(e).__name__} in {info.activity_type}: {e}; nothing was recorded",
            {"field": None, "rule": "programming_error", "error": type(e).__name__},
            type="ProgrammingError",
            non_retryable=True,
        ) from None
    except Exception as e:
        # Infrastructure (the store down, a lock held too long): retried by the policy.
        # Raised as a short failure without its cause chain: with the chain, Temporal
        # keeps only "Failure exceeds size limit." and an operator (`qa-engine stuck`,
        # the Temporal UI) cannot see why. The message's first line only: no values.
        said = (str(e).splitlines() or [""])[0][:200]
        bound.warning("infrastructure failure; retried", error=type(e).__name__)
        raise ApplicationError(
            f"{said} (nothing was recorded by this attempt)",
            {"field": None, "rule": "infrastructure", "error": type(e).__name__},
            type=type(e).__name__,
        ) from None
    bound.info("recorded")
    return result


def named_step(
    step: str,
    input_type: type[Any],
    record: Callable[[Any], Any],
    log_context: Callable[[Any], dict[str, Any]],
) -> Callable[..., Any]:
    """The activity named ``step``: decode its input as ``input_type`` (Temporal reads
    the annotation), call ``record(inp)`` through ``domain_call``, logging
    ``log_context(inp)``. Every lifecycle's step activities are made by this."""

    def run(inp: Any) -> Any:
        return domain_call(lambda: record(inp), **log_context(inp))

    run.__annotations__ = {"inp": input_type, "return": Any}
    run.__name__ = run.__qualname__ = step
    return activity.defn(name=step)(run)


def review_activities(service: ReviewService) -> list[Callable[..., Any]]:
    """Every activity of the review lifecycle, bound to ``service``."""

    @activity.defn(name=REPORT_INCIDENT)
    def report_incident(inp: ReportInput) -> ReviewState:
        return domain_call(
            lambda: service.report_incident(inp.report, key=inp.key, today=inp.today),
            case_ref=inp.report.case_ref,
        )

    @activity.defn(name=RECORD_DEADLINE_REMINDER)
    def record_deadline_reminder(inp: ClockInput) -> ReviewState:
        return domain_call(
            lambda: service.send_reminder(
                service.partnership_of(inp.partnership, inp.case_ref),
                inp.case_ref,
                inp.deadline,
                key=inp.key,
            ),
            case_ref=inp.case_ref,
            deadline=inp.deadline,
        )

    @activity.defn(name=RECORD_DEADLINE_BREACH)
    def record_deadline_breach(inp: ClockInput) -> ReviewState:
        return domain_call(
            lambda: service.record_breach(
                service.partnership_of(inp.partnership, inp.case_ref),
                inp.case_ref,
                inp.deadline,
                key=inp.key,
                at=inp.at,
            ),
            case_ref=inp.case_ref,
            deadline=inp.deadline,
        )

    def step_activity(step: str) -> Callable[..., Any]:
        model = COMMANDS[step]
        return named_step(
            step,
            StepInput,
            lambda inp: service.record_step(
                service.partnership_of(inp.partnership, inp.case_ref),
                inp.case_ref,
                step,
                model.model_validate(inp.command),
                key=inp.key,
                today=inp.today,
            ),
            lambda inp: {"case_ref": inp.case_ref},
        )

    return [
        report_incident,
        record_deadline_reminder,
        record_deadline_breach,
        *(step_activity(step) for step in COMMANDS),
    ]
