"""``qa-engine outbox``: the email outbox's delivery status, and one sending round.

``outbox`` lists what was (or will be) sent for the principal's partnership (every
partnership for operations, or ``--partnership``): record, step, due day, status,
attempts, last error. ``outbox send`` catches the read models up (which writes the
outbox) and sends what is due once; the long-running sender is part of
``qa-engine dev`` and ``qa-engine worker`` when ``QA_SMTP_HOST`` is set.
"""

from __future__ import annotations

import argparse
from typing import Any

from domain.errors import DomainError
from domain.tenancy import Role
from qa_engine.config import Settings
from qa_engine.entry import cli_common as cli

__all__ = ["register"]


def _partnership(ns: argparse.Namespace, settings: Settings) -> str | None:
    principal = cli.principal_of(settings)
    if Role.OPERATIONS in principal.roles and not getattr(ns, "tenant", None):
        return None
    return cli.tenant_of(ns, settings)


async def cmd_outbox(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from qa_engine.bootstrap import bootstrap
    from qa_engine.entry.mailer import Mailer

    partnership = _partnership(ns, settings)
    services = bootstrap(settings)
    try:
        rows = Mailer(settings, services.reviews).rows(partnership=partnership, status=ns.status)
    finally:
        services.close()

    def human() -> str:
        if not rows:
            return "the outbox is empty"
        lines = [
            f"{'RECORD':<22} {'WHAT':<10} {'STEP':<34} {'DUE':<10} {'STATUS':<12} {'TRIES':>5}"
            "  LAST ERROR"
        ]
        for r in rows:
            lines.append(
                f"{r.ref:<22} {r.what:<10} {r.step_label[:34]:<34} {r.due_on.isoformat():<10} "
                f"{r.status:<12} {r.attempts:>5}  {r.last_error or ''}"
            )
        return "\n".join(lines)

    def as_json(r: Any) -> dict[str, Any]:
        return {
            "kind": r.kind,
            "partnership": r.partnership,
            "ref": r.ref,
            "what": r.what,
            "step": r.step_key,
            "step_label": r.step_label,
            "due_on": r.due_on.isoformat(),
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            "recipients": r.recipients,
        }

    out.data([as_json(r) for r in rows], human)
    return cli.EXIT_OK


async def cmd_outbox_send(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    import asyncio

    from projections.catalogue import build_runner
    from qa_engine.bootstrap import bootstrap
    from qa_engine.entry.mailer import Mailer

    principal = cli.principal_of(settings)
    if Role.OPERATIONS not in principal.roles:
        raise DomainError(
            "sending the outbox is for the operations role",
            field="QA_ACTOR_ROLE",
            rule="operations_only",
        )
    services = bootstrap(settings)
    try:
        runner = build_runner(services.reviews, batch_size=settings.projection_batch_size)
        await asyncio.to_thread(runner.catch_up)
        report = await asyncio.to_thread(
            Mailer(settings, services.reviews, services.partnerships).send_due
        )
    finally:
        services.close()
    out.data(
        report.__dict__,
        lambda: (
            f"sent {report.sent}, to retry {report.retried}, failed {report.failed}, "
            f"nobody to tell {report.no_recipient}"
        ),
    )
    return cli.EXIT_OK


def register(sub: Any, *, common: argparse.ArgumentParser, tenant: argparse.ArgumentParser) -> None:
    """Add ``outbox`` to ``qa-engine``'s parser (called by ``build_parser``)."""
    box = sub.add_parser(
        "outbox", parents=[common, tenant], help="reminder emails: delivery status; send"
    )
    box.add_argument(
        "--status",
        choices=["pending", "sending", "sent", "failed", "no_recipient", "stale"],
        help="only rows with this status",
    )
    box.set_defaults(func=cmd_outbox)
    acts = box.add_subparsers(dest="action", metavar="ACTION")
    acts.add_parser("send", parents=[common], help="send what is due now, once").set_defaults(
        func=cmd_outbox_send
    )
