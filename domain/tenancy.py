"""Who is acting, for which partnership and agency: the principal and its scope.

One deployment serves many partnerships. Every entry point (CLI, worker, and
next the HTTP API) resolves one ``Principal`` before it does anything; the actor
recorded on every event comes from it, never from what a caller types, and every
command and query runs inside its scope (its partnership, and for an agency's
safeguarding lead, its agencies).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.errors import DomainError
from domain.values import Actor, AgencyCode, PartnershipCode

__all__ = ["SYSTEM_PRINCIPAL", "OutsideScope", "Principal", "Role", "Scope"]


class Role(StrEnum):
    """The roles people act in (DOMAIN.md, "Who uses it")."""

    BUSINESS_MANAGER = "partnership business manager"
    QA_OFFICER = "QA officer"
    RAPID_REVIEW_CHAIR = "rapid review chair"
    INDEPENDENT_REVIEWER = "independent reviewer"
    AGENCY_LEAD = "agency safeguarding lead"
    SUBGROUP_CHAIR = "subgroup chair"
    EXECUTIVE = "executive"
    AUDITOR = "auditor"
    OPERATIONS = "operations"


#: Roles that only read: they may never record a step.
READ_ONLY = frozenset({Role.EXECUTIVE, Role.AUDITOR})


class OutsideScope(DomainError):
    """The principal may not see or act on this record (another partnership or agency)."""


Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]


class Scope(BaseModel):
    """What a query may return: one partnership, and optionally only some agencies."""

    model_config = ConfigDict(frozen=True)

    partnership: PartnershipCode
    agencies: tuple[AgencyCode, ...] | None = Field(
        default=None, description="None: every agency of the partnership"
    )


class Principal(BaseModel):
    """A signed-in person (or the system) and what they may act for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: Subject = Field(description="stable id from the identity provider or local account")
    name: Name
    partnership: PartnershipCode
    roles: tuple[Role, ...] = Field(min_length=1)
    agencies: tuple[AgencyCode, ...] = Field(
        default=(), description="for an agency's safeguarding lead: the agencies they answer for"
    )

    @property
    def role(self) -> Role:
        """The role recorded when they act (their first)."""
        return self.roles[0]

    @property
    def scope(self) -> Scope:
        limited = Role.AGENCY_LEAD in self.roles and not (
            set(self.roles) - {Role.AGENCY_LEAD, Role.EXECUTIVE, Role.AUDITOR}
        )
        return Scope(partnership=self.partnership, agencies=self.agencies if limited else None)

    def actor(self) -> Actor:
        """The actor recorded on the events this principal causes."""
        return Actor(
            name=self.name,
            role=self.role.value,
            subject=self.subject,
            partnership=self.partnership,
        )

    def check_partnership(self, partnership: str, *, what: str) -> None:
        """Refuse (``OutsideScope``) anything of another partnership."""
        if partnership.upper() != self.partnership:
            raise OutsideScope(
                f"{what} belongs to another partnership; you act for {self.partnership}",
                field="partnership",
                rule="same_partnership",
            )

    def check_may_record(self, *, what: str) -> None:
        """Refuse (``OutsideScope``) a write by a read-only role."""
        if set(self.roles) <= READ_ONLY:
            raise OutsideScope(
                f"{what}: the {self.role.value} role can read but not record",
                field="role",
                rule="read_only_role",
            )


#: The statutory clocks and schedules act as this principal (timers, reminders).
SYSTEM_PRINCIPAL = Principal(
    subject="system:qa-engine",
    name="qa-engine",
    partnership="SYSTEM",
    roles=(Role.OPERATIONS,),
)
