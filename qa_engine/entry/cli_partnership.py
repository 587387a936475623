"""``qa-engine partnership contacts``: who the reminder, request and escalation emails
go to, as recorded decisions of the partnership.

``partnership contacts`` lists the contacts recorded for the principal's partnership
(``--partnership`` for operations): each role (of the partnership, or of one agency),
its addresses, and who decided it when. ``partnership contacts set --role ROLE
[--agency AGENCY] [--address A ...] --reason TEXT`` records a decision replacing the
addresses of that role (no ``--address``: nobody is told). Read by the business
manager, operations and auditors; changed by the business manager or operations.
"""

from __future__ import annotations

import argparse
from typing import Any

from domain.partnership import SetContacts
from qa_engine.config import Settings
from qa_engine.entry import cli_common as cli
from qa_engine.entry.acting import check_contacts

__all__ = ["register"]


def _rows(decisions: list[dict[str, Any]], held: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The contacts in force: one row per role, with its latest decision."""
    latest: dict[str, dict[str, Any]] = {}
    for d in decisions:
        key = f"{d['agency']}/{d['role']}" if d["agency"] else d["role"]
        latest[key] = d
    return [
        {
            "role": d["role"],
            "agency": d["agency"],
            "addresses": held.get(key, []),
            "decided_by": d["actor"].get("name"),
            "decided_at": d["recorded_at"],
            "reason": d["reason"],
        }
        for key, d in sorted(latest.items())
    ]


def _human(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no contacts recorded: nobody is told (QA_NOTIFY_CONTACTS aside)"
    lines = [f"{'AGENCY':<10} {'ROLE':<34} {'DECIDED':<11} {'BY':<20} ADDRESSES"]
    for r in rows:
        lines.append(
            f"{r['agency'] or '-':<10} {r['role'][:34]:<34} {r['decided_at'][:10]:<11} "
            f"{(r['decided_by'] or '')[:20]:<20} {', '.join(r['addresses']) or '(nobody)'}"
        )
    return "\n".join(lines)


async def cmd_contacts(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from qa_engine.bootstrap import bootstrap

    check_contacts(cli.principal_of(settings), write=False)
    partnership = cli.tenant_of(ns, settings)
    services = bootstrap(settings)
    try:
        rows = _rows(
            services.partnerships.contact_decisions(partnership),
            services.partnerships.contacts(partnership),
        )
    finally:
        services.close()
    out.data({"partnership": partnership, "contacts": rows}, lambda: _human(rows))
    return cli.EXIT_OK


async def cmd_contacts_set(ns: argparse.Namespace, settings: Settings, out: cli.Output) -> int:
    from qa_engine.bootstrap import bootstrap

    principal = cli.principal_of(settings)
    check_contacts(principal, write=True)
    partnership = cli.tenant_of(ns, settings)
    command = SetContacts.model_validate(
        {
            "role": ns.role,
            "agency": ns.agency.upper() if ns.agency else None,
            "addresses": ns.address or [],
            "reason": ns.reason,
        }
    )
    actor = cli._actor(ns, settings)
    services = bootstrap(settings)
    try:
        services.partnerships.set_contacts(partnership, command, actor=actor)
        rows = _rows(
            services.partnerships.contact_decisions(partnership),
            services.partnerships.contacts(partnership),
        )
    finally:
        services.close()
    out.data(
        {"partnership": partnership, "contacts": rows},
        lambda: f"recorded the contacts of {partnership}\n" + _human(rows),
    )
    return cli.EXIT_OK


def register(sub: Any, *, common: argparse.ArgumentParser, tenant: argparse.ArgumentParser) -> None:
    """Add ``partnership contacts [set]`` to ``qa-engine``'s parser (``build_parser``)."""
    partnership = sub.add_parser("partnership", help="the partnership's recorded decisions")
    what = partnership.add_subparsers(dest="what", metavar="WHAT", required=True)
    contacts = what.add_parser(
        "contacts", parents=[common, tenant], help="who the reminder emails go to"
    )
    contacts.set_defaults(func=cmd_contacts)
    acts = contacts.add_subparsers(dest="action", metavar="ACTION")
    change = acts.add_parser(
        "set", parents=[common, tenant], help="record who is told for one role"
    )
    change.add_argument("--role", required=True, help="the role, e.g. 'agency safeguarding lead'")
    change.add_argument("--agency", help="the agency whose role it is (none: the partnership's)")
    change.add_argument(
        "--address", action="append", help="an email address told (repeat; none: nobody)"
    )
    change.add_argument("--reason", required=True, help="why (recorded with the decision)")
    change.set_defaults(func=cmd_contacts_set)
