"""A safeguarding partnership as a tenant: its policy is data, changed by recorded decisions.

Who is told (the owners and escalation contacts of each role, for the partnership and
per agency) is held the same way: recorded decisions (``ContactsSet``: who decided,
why, the addresses after it), read by the email sender when it sends.

The policy (statutory rule set, local variations, quality-assurance timings,
practice standards set) is recorded in the store. A new case, audit, plan or
concern copies the policy in force when it opens, so a later change never
alters a running record. The deployment's environment only gives the defaults
a partnership is registered with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from domain.chain import ChainedAggregate
from domain.errors import RuleViolation
from domain.qa.clock import QaPolicy
from domain.rules import RULE_SETS, LocalVariations
from domain.standards import DEFAULT_STANDARD_SET, standard_set
from domain.values import (
    DEFAULT_CHILD_REF_PATTERN,
    AgencyCode,
    FreeText,
    Name,
    PartnershipCode,
    invalid,
)

__all__ = [
    "Partnership",
    "PartnershipPolicy",
    "RegisterPartnership",
    "SetContacts",
    "contact_key",
    "partnership_id",
]

_ADDRESS = re.compile(r"^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")


def _address(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _ADDRESS.fullmatch(value):
        raise invalid(None, "email_address", f"{value!r} is not an email address (name@domain)")
    return value


#: an email address, lower-cased
Address = Annotated[str, AfterValidator(_address)]


def contact_key(role: str, agency: str | None = None) -> str:
    """How a partnership's contacts are keyed: ``role``, or ``AGENCY/role``."""
    return f"{agency.upper()}/{role}" if agency else role


class SetContacts(BaseModel):
    """Who is told for one role (of the partnership, or of one agency in it): the
    addresses after this decision (none: nobody is told), and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Name = Field(
        description="the role told, as the clocks name it (e.g. 'agency safeguarding lead', "
        "'partnership business manager', 'lead safeguarding partners')"
    )
    agency: AgencyCode | None = Field(
        default=None, description="the agency whose role this is (none: the partnership's)"
    )
    addresses: list[Address] = Field(
        max_length=20, description="the email addresses told (empty: nobody)"
    )
    reason: FreeText = Field(description="why the contacts change (recorded with the decision)")

    @field_validator("addresses")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


#: Values a partnership's child reference pattern must refuse: names, with or
#: without a year (upper-cased, as references are compared).
NAME_LIKE_PROBES = (
    "JANESMITH2010",
    "JOHNSMITH2015",
    "JANESMITH",
    "SMITH",
    "JANE-SMITH",
    "AVA-SMITH-2019",
    "OLIVIA2019",
)


def _child_ref_pattern(value: str) -> str:
    """A partnership's child reference pattern: a regular expression (matched whole,
    against the upper-cased reference) that refuses every name-like probe."""
    try:
        compiled = re.compile(value)
    except re.error as e:
        raise invalid(
            None, "regular_expression", f"child_ref_pattern is not a regular expression ({e})"
        ) from None
    accepted = [p for p in NAME_LIKE_PROBES if compiled.fullmatch(p)]
    if accepted:
        raise invalid(
            None,
            "refuses_names",
            f"child_ref_pattern must refuse name-like references; it accepts {accepted[0]!r}",
        )
    return value


def partnership_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"qa-engine:partnership:{code.upper()}")


class PartnershipPolicy(BaseModel):
    """What a partnership's records open under. Stored: unknown fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    rule_set: str = Field(default="wt2023", description="statutory rule set id (e.g. wt2023)")
    variations: LocalVariations = Field(default_factory=LocalVariations)
    qa: QaPolicy = Field(default_factory=QaPolicy)
    standards: str = Field(default=DEFAULT_STANDARD_SET, description="practice standards set id")
    #: Absent from policies recorded before it: they load with the default.
    child_ref_pattern: Annotated[str, AfterValidator(_child_ref_pattern)] = Field(
        default=DEFAULT_CHILD_REF_PATTERN,
        max_length=200,
        description="the partnership's pseudonymous child reference scheme, a regular "
        "expression matched whole against the upper-cased reference (default: a prefix "
        "letter and digits, e.g. C-40213); it narrows the shape every partnership shares",
    )

    def check_child_refs(
        self, refs: Sequence[str], *, field: str, item_field: str | None = None
    ) -> None:
        """Refuse (rule ``child_ref_pattern``, nothing recorded) a reference outside
        this partnership's scheme. The message never repeats the value: it may be a name."""
        compiled = re.compile(self.child_ref_pattern)
        for i, ref in enumerate(refs):
            if not compiled.fullmatch(ref.strip().upper()):
                raise RuleViolation(
                    f"{field} item {i + 1} does not follow this partnership's pseudonymous "
                    f"child reference pattern ({self.child_ref_pattern}); a name-like value "
                    "is never recorded",
                    field=f"{field}.{i}" + (f".{item_field}" if item_field else ""),
                    rule="child_ref_pattern",
                )

    @field_validator("rule_set")
    @classmethod
    def _known_rule_set(cls, value: str) -> str:
        if value not in RULE_SETS:
            raise invalid(
                None,
                "known_rule_set",
                f"unknown rule set {value!r}; known: {', '.join(sorted(RULE_SETS))}",
            )
        return value

    @field_validator("standards")
    @classmethod
    def _known_standards(cls, value: str) -> str:
        standard_set(value)  # raises on an unknown set
        return value


class RegisterPartnership(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: PartnershipCode
    name: FreeText


class Partnership(ChainedAggregate):
    """One partnership (tenant) and the decisions that set its policy."""

    code: ClassVar[str]
    name: ClassVar[str]
    policy: ClassVar[PartnershipPolicy]
    decisions: ClassVar[int]
    #: ``role`` or ``AGENCY/role`` -> the addresses told (recorded by ``ContactsSet``)
    contacts: ClassVar[dict[str, list[str]]]

    class Event(ChainedAggregate.Event):
        class_version: ClassVar[int] = 1
        actor: dict[str, Any]

    class Registered(Event, ChainedAggregate.Created):
        code: str
        name: str
        policy: dict[str, Any]
        source: str  # where the first policy came from (e.g. "deployment defaults")

        def apply(self, aggregate: Any) -> None:
            aggregate.code, aggregate.name = self.code, self.name
            aggregate.policy = PartnershipPolicy.model_validate(self.policy)
            aggregate.decisions = 0
            aggregate.contacts = {}
            super().apply(aggregate)

    class PolicyChanged(Event):
        """A recorded decision: who changed the policy, why, and the policy after it."""

        policy: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.policy = PartnershipPolicy.model_validate(self.policy)
            aggregate.decisions += 1
            super().apply(aggregate)

    class ContactsSet(Event):
        """A recorded decision: who is told for one role (of the partnership or of one
        agency), who decided it and why. ``addresses`` empty: nobody is told."""

        role: str
        agency: str | None
        addresses: list[str]
        reason: str

        def apply(self, aggregate: Any) -> None:
            contacts = dict(getattr(aggregate, "contacts", {}))
            contacts[contact_key(self.role, self.agency)] = list(self.addresses)
            aggregate.contacts = contacts
            super().apply(aggregate)

    @classmethod
    def register(
        cls,
        command: RegisterPartnership,
        *,
        policy: PartnershipPolicy,
        actor: dict[str, Any],
        source: str,
    ) -> Partnership:
        p: Partnership = cls._create(
            cls.Registered,
            id=partnership_id(command.code),
            actor=actor,
            code=command.code,
            name=command.name,
            policy=policy.model_dump(mode="json"),
            source=source,
        )
        return p

    def change_policy(
        self, policy: PartnershipPolicy, *, reason: str, actor: dict[str, Any]
    ) -> None:
        if policy == self.policy:
            raise RuleViolation(
                "the policy is unchanged; nothing to record", field="policy", rule="policy_changed"
            )
        if len(reason.strip()) < 3:
            raise RuleViolation(
                "a policy decision records its reason", field="reason", rule="reason_recorded"
            )
        self.trigger_event(
            self.PolicyChanged, actor=actor, policy=policy.model_dump(mode="json"), reason=reason
        )

    def set_contacts(self, command: SetContacts, *, actor: dict[str, Any]) -> None:
        key = contact_key(command.role, command.agency)
        if getattr(self, "contacts", {}).get(key) == list(command.addresses):
            raise RuleViolation(
                f"the contacts of {key} are already these; nothing to record",
                field="addresses",
                rule="contacts_changed",
            )
        self.trigger_event(
            self.ContactsSet,
            actor=actor,
            role=command.role,
            agency=command.agency,
            addresses=list(command.addresses),
            reason=command.reason,
        )
