"""What every entry point does the same way for its principal, whoever signed them in
(the CLI from its environment, the HTTP API from a session or a bearer token).

- ``check_tenant``: the partnership a principal may act in (their own; any, for operations);
- ``scope_for``: what their queries may return;
- ``actor_for``: who is recorded on the steps they cause (read-only roles refused);
- ``check_agency``: an agency's safeguarding lead sees only the records their agencies
  are part of, and answers only their own agencies' asks;
- ``agencies_of``: the agencies a record involves (the read models' definition);
- ``verify_every_record``: every hash chain in the event log;
- ``check_contacts``: who may read (business manager, operations, auditor) and record
  (business manager, operations) a partnership's contacts;
- ``derived_step_key`` / ``step_update_id``: the Temporal update id of a step sent
  without a key of the caller's (the same for the CLI and the HTTP API).
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel

from domain.errors import DomainError
from domain.tenancy import OutsideScope, Principal, Role, Scope

if TYPE_CHECKING:
    from qa_engine.bootstrap import Services
    from qa_engine.reviews import VerifyResult

__all__ = [
    "actor_for",
    "agencies_of",
    "check_agency",
    "check_contacts",
    "check_tenant",
    "derived_step_key",
    "scope_for",
    "step_update_id",
    "verify_every_record",
]


def check_tenant(principal: Principal, partnership: str, *, what: str) -> str:
    """``partnership`` if the principal may act in it (their own; any, for operations)."""
    partnership = partnership.upper()
    if Role.OPERATIONS not in principal.roles:
        principal.check_partnership(partnership, what=what)
    return partnership


def scope_for(principal: Principal, *, agencies_field: str = "agencies") -> Scope | None:
    """What the principal's queries may return: their partnership (and, for an agency's
    lead, their agencies' records); ``None`` (everything) for operations."""
    if Role.OPERATIONS in principal.roles:
        return None
    if Role.AGENCY_LEAD in principal.roles and not principal.agencies:
        raise DomainError(
            "an agency safeguarding lead answers for named agencies: none are set",
            field=agencies_field,
            rule="agency_lead_agencies",
        )
    return principal.scope


def actor_for(principal: Principal, *, records: bool = True) -> dict[str, str | None]:
    """The actor recorded for what the principal does (never taken from input).

    ``records``: a step is being recorded, so read-only roles are refused."""
    if records:
        principal.check_may_record(what=f"{principal.name} ({principal.role.value})")
    actor: dict[str, str | None] = principal.actor().model_dump(exclude_none=True)
    return actor


def agencies_of(kind: str, state: Any) -> list[str]:
    """The agencies a record (``review``, ``audit``, ``actionplan``, ``childofconcern``)
    involves, as its oversight row carries them."""
    from projections.catalogue import lifecycles  # the read models: only when asked

    by_kind = {lc.kind: lc for lc in lifecycles()}
    return [a.upper() for a in by_kind[kind].agencies(state)]


def check_agency(
    principal: Principal,
    kind: str,
    state: Any,
    *,
    what: str,
    command: BaseModel | None = None,
) -> None:
    """Refuse (``OutsideScope``) an agency-limited principal a record none of their
    agencies is part of, or a step that answers for another agency."""
    scope = scope_for(principal)
    if scope is None or scope.agencies is None:
        return
    mine = set(scope.agencies)
    if not mine & set(agencies_of(kind, state)):
        raise OutsideScope(
            f"{what} does not involve your agencies ({', '.join(sorted(mine))})",
            field="agency",
            rule="same_agency",
        )
    if command is None:
        return
    answering = _agency_answered(kind, state, command)
    if answering is None or answering not in mine:
        raise OutsideScope(
            f"{what}: an agency safeguarding lead records only their own agencies' answers",
            field="agency",
            rule="own_agency_answer",
        )


def _agency_answered(kind: str, state: Any, command: BaseModel) -> str | None:
    """The agency a step answers for: its ``agency``, or the owner of the action it is
    about; ``None`` for a step that answers for no agency (not an agency lead's)."""
    agency = getattr(command, "agency", None)
    if isinstance(agency, str):
        return agency.upper()
    action_id = getattr(command, "action_id", None)
    if kind == "actionplan" and action_id is not None:
        action = getattr(state, "actions", {}).get(action_id)
        if action is not None:
            return str(action.owner_agency).upper()
    return None


def verify_every_record(services: Services) -> list[tuple[str, VerifyResult]]:
    """Every hash chain in the event log, as ``(kind, result)``: review cases, then the
    quality-assurance records (audits, action plans, children of concern) in log order."""
    results: list[tuple[str, VerifyResult]] = [("review", r) for r in services.reviews.verify_all()]
    results.extend(services.quality.verify_all())
    return results


def derived_step_key(
    *, kind: str, partnership: str, ref: str, step: str, command: BaseModel, day: date
) -> str:
    """The idempotency key of a step sent without one: derived from the record, the
    step, its input (not who acts) and the (London) day. The same step sent again the
    same day, after an ambiguous failure or a double click, gets the same key and is
    recorded once; to record an identical step twice the same day, send a key."""
    canonical = orjson.dumps(
        {
            "kind": kind,
            "partnership": partnership.upper(),
            "ref": ref.upper(),
            "step": step,
            "command": command.model_dump(mode="json", exclude={"actor"}),
            "day": day.isoformat(),
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()[:24]


def step_update_id(subject: str, kind: str, step: str, key: str) -> str:
    """The Temporal update id of a step: the key scoped to who sent it, the kind of
    record and the step (two people's keys never meet), naming nothing personal. (The
    ``cli-`` prefix is the one the CLI has always sent; the HTTP API sends the same id
    for a derived key, so the same step sent from either door the same day by the same
    person is recorded once.)"""
    digest = hashlib.sha256(f"{subject}\n{kind}\n{step}\n{key}".encode()).hexdigest()
    return f"cli-{digest[:40]}"


_CONTACTS_READ = frozenset({Role.BUSINESS_MANAGER, Role.OPERATIONS, Role.AUDITOR})
_CONTACTS_WRITE = frozenset({Role.BUSINESS_MANAGER, Role.OPERATIONS})


def check_contacts(principal: Principal, *, write: bool) -> None:
    """A partnership's contacts (staff email addresses) are read by its business
    manager, operations and auditors, and changed by the business manager or
    operations; anyone else is refused, naming the rule."""
    allowed = _CONTACTS_WRITE if write else _CONTACTS_READ
    if not allowed & set(principal.roles):
        names = ", ".join(sorted(r.value for r in allowed))
        raise OutsideScope(
            f"a partnership's contacts are {'changed' if write else 'read'} by: {names}",
            field="role",
            rule="contacts_change_role" if write else "contacts_read_role",
        )
