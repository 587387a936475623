"""``qa-engine stuck`` and ``qa-engine unstick``: see and clear a stuck step without
terminating its case (operations only; see ``qa_engine.entry.stuck``)."""

from __future__ import annotations

import argparse
from typing import Any

from domain.errors import DomainError
from domain.tenancy import Role
from qa_engine.config import Settings
from qa_engine.entry import cli_common as cli

__all__ = ["register"]


def _operations(settings: Settings, what: str) -> None:
    if Role.OPERATIONS not in cli.principal_of(settings).roles:
        raise DomainError(
            f"{what} is for the operations role", field="QA_ACTOR_ROLE", rule="operations_only"
        )


async def cmd_stuck(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from qa_engine.entry.stuck import stuck_steps
    from qa_engine.entry.temporal import connect

    _operations(settings, "listing stuck steps")
    steps = await stuck_steps(await connect(settings), min_attempts=ns.min_attempts)

    def human() -> str:
        if not steps:
            return "no step is retrying or paused"
        head = f"{'WORKFLOW':<40} {'ACTIVITY':<34} {'TRY':>4} {'STATE':<17} LAST FAILURE"
        rows = [
            f"{s.workflow_id:<40} {s.activity:<34} {s.attempt:>4} {s.state:<17} {s.last_failure}"
            for s in steps
        ]
        return "\n".join([head, *rows])

    out.data([s.as_json() for s in steps], human)
    return cli.EXIT_OK


async def cmd_unstick(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from qa_engine.entry.stuck import unstick
    from qa_engine.entry.temporal import connect

    _operations(settings, "clearing a stuck step")
    outcome = await unstick(
        await connect(settings), ns.workflow_id, activity_id=ns.activity_id, wait=ns.wait
    )
    said = {
        "cancelled": "cancelled: nothing was recorded; its caller was told to send it again",
        "finished": "the step finished on its own while waiting (recorded or refused by a "
        "rule): nothing cancelled",
        "cancelling": "moved to the cancel queue: it is cancelled when a worker polls it",
    }[outcome]
    out.data(
        {"workflow_id": ns.workflow_id, "outcome": outcome}, lambda: f"{ns.workflow_id}: {said}"
    )
    return cli.EXIT_OK


def register(sub: Any, *, common: argparse.ArgumentParser) -> None:
    """Add ``stuck`` and ``unstick`` to ``qa-engine``'s parser."""
    stuck = sub.add_parser(
        "stuck", parents=[common], help="steps retrying or paused, in every case (operations)"
    )
    stuck.add_argument(
        "--min-attempts", type=int, default=2, help="list steps at this attempt or later"
    )
    stuck.set_defaults(func=cmd_stuck)
    un = sub.add_parser(
        "unstick",
        parents=[common],
        help="cancel a stuck step without terminating its case (operations)",
    )
    un.add_argument("workflow_id", help="the workflow id `qa-engine stuck` lists")
    un.add_argument("--activity-id", help="which activity, when several are in progress")
    un.add_argument(
        "--wait", type=float, default=120.0, help="seconds to wait for a running attempt to end"
    )
    un.set_defaults(func=cmd_unstick)
