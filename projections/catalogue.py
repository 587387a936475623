"""Which lifecycles feed the read models, and the projections built over them.

A new lifecycle adds its ``Lifecycle`` to ``lifecycles()``;
then ``qa-engine projections rebuild`` fills its rows from the existing log.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application

from projections.lifecycles import Lifecycle
from projections.outbox import OutboxProjection
from projections.programme import (
    AssuranceLifecycle,
    ProgrammeLifecycle,
    ScorecardLifecycle,
    Section11Lifecycle,
    SubgroupLifecycle,
)
from projections.quality import ActionPlanLifecycle, AuditLifecycle, ChildOfConcernLifecycle
from projections.review import ReviewLifecycle
from projections.runner import Projection, ProjectionRunner
from projections.views import (
    AuditTrailProjection,
    FoldingProjection,
    OversightProjection,
    Sealer,
    TimelinessProjection,
)

__all__ = ["build_projections", "build_runner", "lifecycles", "sealer_for"]


def lifecycles() -> list[Lifecycle]:
    """Every lifecycle that feeds the read models."""
    return [
        ReviewLifecycle(),
        AuditLifecycle(),
        ActionPlanLifecycle(),
        ChildOfConcernLifecycle(),
        ProgrammeLifecycle(),
        SubgroupLifecycle(),
        ScorecardLifecycle(),
        Section11Lifecycle(),
        AssuranceLifecycle(),
    ]


def sealer_for(app: Application[Any]) -> Sealer:
    """Free text in views is encrypted with the event store's cipher, if any."""
    return Sealer(app.mapper.cipher)


def build_projections(app: Application[Any]) -> list[Projection]:
    lcs = lifecycles()
    sealer = sealer_for(app)
    projections: list[FoldingProjection] = [
        OversightProjection(lcs),
        AuditTrailProjection(lcs, sealer),
        TimelinessProjection(lcs),
        OutboxProjection(lcs),
    ]
    for p in projections:
        p.state_sealer = sealer  # folded states hold what the events encrypt
    return list(projections)


def build_runner(app: Application[Any], *, batch_size: int = 500) -> ProjectionRunner:
    """The runner for every read model over ``app``'s notification log."""
    return ProjectionRunner(app, build_projections(app), batch_size=batch_size)
