"""Partnerships as tenants: their recorded policy, and the decisions that change it.

A partnership first seen (a case reported for it, say) is registered with the
deployment's defaults, and that registration is recorded like any decision; from
then on only a recorded ``change_policy`` changes what its new records open under.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError

from domain.errors import CaseNotFound
from domain.partnership import (
    Partnership,
    PartnershipPolicy,
    RegisterPartnership,
    SetContacts,
    partnership_id,
)
from qa_engine.recording import RETRIES
from qa_engine.store import EVENT_STORE

__all__ = ["PartnershipService"]

_SYSTEM = {"name": "qa-engine", "role": "deployment defaults"}


class PartnershipService(Application[UUID]):
    """Register partnerships and record their policy decisions."""

    name = EVENT_STORE

    def __init__(self, env: dict[str, str], *, defaults: PartnershipPolicy) -> None:
        super().__init__(env=env)
        self.defaults = defaults

    def register(
        self, command: RegisterPartnership, *, actor: dict[str, Any], policy: PartnershipPolicy
    ) -> Partnership:
        """Register a partnership with an explicit policy (idempotent for the same code)."""
        try:
            return self.get(command.code)
        except CaseNotFound:
            pass
        p = Partnership.register(command, policy=policy, actor=actor, source="registered")
        try:
            self.save(p)
        except RecordConflictError:
            return self.get(command.code)
        return p

    def policy(self, code: str) -> PartnershipPolicy:
        """The policy a new record of ``code`` opens under (registering it on first use)."""
        try:
            return self.get(code).policy
        except CaseNotFound:
            pass
        p = Partnership.register(
            RegisterPartnership(code=code, name=f"{code.upper()} safeguarding partnership"),
            policy=self.defaults,
            actor=_SYSTEM,
            source="deployment defaults",
        )
        try:
            self.save(p)
        except RecordConflictError:
            return self.get(code).policy  # registered concurrently: same defaults either way
        return p.policy

    def policy_in_force(self, code: str) -> PartnershipPolicy:
        """The policy ``code`` works under now, without registering it (a partnership
        never seen works under the defaults): for checks that must record nothing."""
        try:
            return self.get(code).policy
        except CaseNotFound:
            return self.defaults

    def check_child_refs(
        self, code: str, refs: list[str], *, field: str, item_field: str | None = None
    ) -> None:
        """Refuse a child reference outside ``code``'s recorded pattern (rule
        ``child_ref_pattern``); nothing is recorded, not even a first registration."""
        self.policy_in_force(code).check_child_refs(refs, field=field, item_field=item_field)

    def change_policy(
        self, code: str, policy: PartnershipPolicy, *, reason: str, actor: dict[str, Any]
    ) -> Partnership:
        """Record a decision changing the policy; records already open keep theirs."""
        for _attempt in range(RETRIES):
            self.policy(code)  # registered with the defaults if never seen
            p = self.get(code)
            p.change_policy(policy, reason=reason, actor=actor)
            try:
                self.save(p)
            except RecordConflictError:
                continue
            return p
        raise RuntimeError(f"could not record the policy of {code} after {RETRIES} conflicts")

    def set_contacts(
        self, code: str, command: SetContacts, *, actor: dict[str, Any]
    ) -> Partnership:
        """Record a decision on who is told for one role (of the partnership or an agency)."""
        for _attempt in range(RETRIES):
            self.policy(code)  # registered with the defaults if never seen
            p = self.get(code)
            p.set_contacts(command, actor=actor)
            try:
                self.save(p)
            except RecordConflictError:
                continue
            return p
        raise RuntimeError(f"could not record the contacts of {code} after {RETRIES} conflicts")

    def contacts(self, code: str) -> dict[str, list[str]]:
        """``role`` or ``AGENCY/role`` -> the addresses recorded for ``code`` (a role
        recorded with none maps to ``[]``); empty for a partnership never seen."""
        try:
            return dict(getattr(self.get(code), "contacts", {}))
        except CaseNotFound:
            return {}

    def contact_decisions(self, code: str) -> list[dict[str, Any]]:
        """The recorded contact decisions, oldest first."""
        return [
            {
                "version": ev.originator_version,
                "recorded_at": ev.timestamp.isoformat(),
                "actor": ev.actor,
                "role": ev.role,
                "agency": ev.agency,
                "addresses": list(ev.addresses),
                "reason": ev.reason,
            }
            for ev in self._events(code)
            if isinstance(ev, Partnership.ContactsSet)
        ]

    def get(self, code: str) -> Partnership:
        try:
            p: Partnership = self.repository.get(partnership_id(code))
        except AggregateNotFoundError:
            raise CaseNotFound(
                f"no partnership {code.upper()}", field="partnership", rule="partnership_exists"
            ) from None
        return p

    def _events(self, code: str) -> list[Any]:
        return list(self.events.get(partnership_id(code)))

    def decisions(self, code: str) -> list[dict[str, Any]]:
        """The recorded policy decisions, oldest first (registration included)."""
        return [
            {
                "version": ev.originator_version,
                "recorded_at": ev.timestamp.isoformat(),
                "actor": ev.actor,
                "event": type(ev).__name__,
                "reason": getattr(ev, "reason", getattr(ev, "source", "")),
                "policy": ev.policy,
            }
            for ev in self._events(code)
            if hasattr(ev, "policy")
        ]
