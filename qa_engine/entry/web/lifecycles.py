"""One adapter per lifecycle: what the routes and the pages do with a kind of record.

The review lifecycle has its own service and client (``services.reviews``,
``ReviewClient``); the quality-assurance ones share theirs and name the kind
(``services.quality``, ``QaClient``). ``Records`` hides that difference once, so a
route or page is written once for every lifecycle (``RECORDS[kind]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from domain.review import COMMANDS, ReviewState
from domain.values import Command
from qa_engine.access_log import AccessEntry
from qa_engine.audits import RecordKind
from qa_engine.bootstrap import Services
from qa_engine.entry.qa_client import LIFECYCLES
from qa_engine.recording import HistoryEntry, VerifyResult

__all__ = ["NOUNS", "RECORDS", "RESOURCES", "Records"]

#: path segment -> the lifecycle's kind (as the read models and the clients name it)
RESOURCES = {
    "reviews": "review",
    "audits": "audit",
    "action-plans": "actionplan",
    "concerns": "childofconcern",
}
NOUNS = {
    "review": "case",
    "audit": "audit",
    "actionplan": "action plan",
    "childofconcern": "child of concern",
}


@dataclass(frozen=True)
class Records:
    """A kind of record: its path segment, words, commands and state, and the calls
    of the application layer that read and record it."""

    kind: str
    segment: str

    @property
    def noun(self) -> str:
        return NOUNS[self.kind]

    @property
    def review(self) -> bool:
        return self.kind == "review"

    @property
    def qa_kind(self) -> RecordKind:
        """The kind as the quality-assurance service names it (not for reviews)."""
        return cast(RecordKind, self.kind)

    @property
    def commands(self) -> dict[str, type[Command]]:
        commands: dict[str, type[Command]] = (
            COMMANDS if self.review else LIFECYCLES[self.kind].commands
        )
        return commands

    @property
    def state_type(self) -> type[Any]:
        return ReviewState if self.review else LIFECYCLES[self.kind].state_type

    async def live_state(self, ctx: Any, partnership: str, ref: str) -> Any:
        """The record's state from its workflow (what ``show`` prints)."""
        if self.review:
            return await (await ctx.reviews()).state(partnership, ref)
        return await (await ctx.quality()).state(partnership, self.kind, ref)

    def stored_state(self, services: Services, partnership: str, ref: str) -> Any:
        """The record's state from the event store (call in a thread)."""
        if self.review:
            return services.reviews.state(partnership, ref)
        return services.quality.state(partnership, self.qa_kind, ref)

    async def record(
        self,
        ctx: Any,
        partnership: str,
        ref: str,
        step: str,
        command: Command,
        request_id: str | None,
    ) -> Any:
        """Record one step through the record's workflow."""
        if self.review:
            return await (await ctx.reviews()).record(
                partnership, ref, step, command, request_id=request_id
            )
        return await (await ctx.quality()).record(
            partnership, self.kind, ref, step, command, request_id=request_id
        )

    def read_history(
        self,
        services: Services,
        partnership: str,
        ref: str,
        *,
        actor: dict[str, Any],
        purpose: str,
        as_at: datetime | None,
        as_of: date | None,
    ) -> list[HistoryEntry]:
        """The recorded events (up to ``as_at``), the read recorded with its purpose."""
        if self.review:
            events: list[HistoryEntry] = services.reviews.read_history(
                partnership, ref, actor=actor, as_at=as_at, purpose=purpose, as_of=as_of
            )
            return events
        events = services.quality.read_history(
            partnership, self.qa_kind, ref, actor=actor, purpose=purpose, as_at=as_at, as_of=as_of
        )
        return events

    def record_read(
        self, services: Services, partnership: str, ref: str, *, actor: Any, purpose: str, view: str
    ) -> None:
        """Record a read of the record (a view other than its history)."""
        if self.review:
            services.reviews.record_history_read(
                partnership, ref, actor=actor, purpose=purpose, view=view
            )
        else:
            services.quality.record_history_read(
                partnership, self.qa_kind, ref, actor=actor, purpose=purpose, view=view
            )

    def reads(self, services: Services, partnership: str, ref: str) -> list[AccessEntry]:
        """Every recorded read of the record."""
        if self.review:
            reads: list[AccessEntry] = services.reviews.reads(partnership, ref)
            return reads
        reads = services.quality.reads(partnership, self.qa_kind, ref)
        return reads

    def verify(self, services: Services, partnership: str, ref: str) -> VerifyResult:
        """The record's hash chain against the ledger."""
        if self.review:
            result: VerifyResult = services.reviews.verify(partnership, ref)
            return result
        result = services.quality.verify(partnership, self.qa_kind, ref)
        return result


RECORDS = {kind: Records(kind, segment) for segment, kind in RESOURCES.items()}
