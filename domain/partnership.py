"""A safeguarding partnership as a tenant: its policy is data, changed by recorded decisions.

The policy (statutory rule set, local variations, quality-assurance timings,
practice standards set) is recorded in the store. A new case, audit, plan or
concern copies the policy in force when it opens, so a later change never
alters a running record. The deployment's environment only gives the defaults
a partnership is registered with.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.chain import ChainedAggregate
from domain.errors import RuleViolation
from domain.qa.clock import QaPolicy
from domain.rules import RULE_SETS, LocalVariations
from domain.standards import DEFAULT_STANDARD_SET, standard_set
from domain.values import FreeText, PartnershipCode

__all__ = ["Partnership", "PartnershipPolicy", "RegisterPartnership", "partnership_id"]


def partnership_id(code: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"qa-engine:partnership:{code.upper()}")


class PartnershipPolicy(BaseModel):
    """What a partnership's records open under. Stored: unknown fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    rule_set: str = Field(default="wt2023", description="statutory rule set id (e.g. wt2023)")
    variations: LocalVariations = Field(default_factory=LocalVariations)
    qa: QaPolicy = Field(default_factory=QaPolicy)
    standards: str = Field(default=DEFAULT_STANDARD_SET, description="practice standards set id")

    @field_validator("rule_set")
    @classmethod
    def _known_rule_set(cls, value: str) -> str:
        if value not in RULE_SETS:
            raise ValueError(f"unknown rule set {value!r}; known: {', '.join(sorted(RULE_SETS))}")
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
            super().apply(aggregate)

    class PolicyChanged(Event):
        """A recorded decision: who changed the policy, why, and the policy after it."""

        policy: dict[str, Any]
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.policy = PartnershipPolicy.model_validate(self.policy)
            aggregate.decisions += 1
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
