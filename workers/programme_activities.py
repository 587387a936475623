"""Lifecycle-3 activities: thin adapters from the contracts to one service call each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity

from qa_engine.programme import ProgrammeService
from workers.activities import domain_call
from workflows.programme_contracts import (
    OPEN_PROGRAMME_OCCURRENCE,
    OccurrenceOpening,
    OpenOccurrenceInput,
)

__all__ = ["programme_activities"]


def programme_activities(service: ProgrammeService) -> list[Callable[..., Any]]:
    """Every activity of the recurring QA programme, bound to ``service``."""

    @activity.defn(name=OPEN_PROGRAMME_OCCURRENCE)
    def open_programme_occurrence(inp: OpenOccurrenceInput) -> OccurrenceOpening:
        opening = domain_call(
            lambda: service.open_occurrence(
                inp.partnership,
                inp.year,
                inp.entry_id,
                inp.period_year,
                inp.month,
                key=inp.key,
                today=inp.today,
            ),
            entry=inp.entry_id,
            month=inp.month,
        )
        return OccurrenceOpening.model_validate(opening.model_dump())

    return [open_programme_occurrence]
