"""The email outbox: one row per reminder, breach or escalation the clocks recorded.

The rows are written by a projection, so they are written in the SAME transaction
that moves the outbox's tracking position past the event (``projections.runner``):
an event recorded is an outbox row, once, whatever crashes or restarts happen. The
primary key is the event itself (record id, version), and a row is never deleted, so
a rebuild of the read models (``projections rebuild``) writes nothing twice and keeps
each row's delivery status.

An agency is also told when something is asked of it: a step that opens a clock
keyed ``<clock>:<AGENCY>`` (an agency summary, an audit return) writes one
``request`` row per agency asked, keyed by the event and the agency (the record id
is suffixed ``/<AGENCY>``), to the clock's owner role in that agency; an ask entered
after the fact (its due day already past when recorded) is not news, and writes none.

A row holds no personal data: the record's kind, partnership and reference, the
step's label and due day, and the roles to tell. Addresses are looked up when the
email is sent (``qa_engine.entry.mailer``). Events older than ``max_age`` when the
row is first written (a deployment that gains the outbox, a rebuild from an empty
outbox) are written ``stale``: shown, never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from projections.db import Cursor
from projections.lifecycles import Lifecycle
from projections.runner import Notified
from projections.views import FoldingProjection

__all__ = ["OUTBOX_EVENTS", "OutboxProjection", "OutboxRow", "outbox_rows"]

#: event class -> what it is, the attribute naming its clock, the one naming who to tell
OUTBOX_EVENTS: dict[str, tuple[str, str, str]] = {
    "DeadlineReminderSent": ("reminder", "deadline", "sent_to"),
    "DeadlineBreached": ("escalation", "deadline", "escalated_to"),
    "ReminderSent": ("reminder", "clock", "sent_to"),
    "Escalated": ("escalation", "clock", "escalated_to"),
}

OUTBOX_DDL = (
    "CREATE TABLE IF NOT EXISTS {notify_outbox} ("
    "originator_id TEXT NOT NULL, version INTEGER NOT NULL, notification_id BIGINT NOT NULL, "
    "kind TEXT NOT NULL, partnership TEXT NOT NULL, ref TEXT NOT NULL, what TEXT NOT NULL, "
    "step_key TEXT NOT NULL, step_label TEXT NOT NULL, due_on TEXT NOT NULL, "
    "roles TEXT NOT NULL, agencies TEXT NOT NULL, recorded_at TEXT NOT NULL, "
    "status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
    "next_attempt_at TEXT NOT NULL, claimed_until TEXT, last_error TEXT, sent_at TEXT, "
    "recipients INTEGER NOT NULL DEFAULT 0, "
    "PRIMARY KEY (originator_id, version))"
)


@dataclass(frozen=True)
class OutboxRow:
    """One email to send (or sent): what an operator sees, no addresses, no personal data."""

    originator_id: str
    version: int
    kind: str
    partnership: str
    ref: str
    what: str
    step_key: str
    step_label: str
    due_on: date
    roles: tuple[str, ...]
    agencies: tuple[str, ...]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    recipients: int


def _label(state: Any, key: str) -> str:
    for name in ("deadlines", "clocks"):
        clocks = getattr(state, name, None)
        if isinstance(clocks, dict) and key in clocks:
            return str(clocks[key].label)
    return key.replace("_", " ")


class OutboxProjection(FoldingProjection):
    """Reminders, breaches and escalations -> outbox rows (see the module docstring)."""

    name = "outbox"
    # No ``tables``: a schema change or a rebuild must never drop the delivery status.
    tables: tuple[str, ...] = ()
    ddl = (OUTBOX_DDL,)

    def __init__(
        self, lifecycles: Sequence[Lifecycle], *, max_age: timedelta = timedelta(days=2)
    ) -> None:
        super().__init__(lifecycles)
        self.max_age = max_age
        self._rows: list[tuple[Any, ...]] = []

    def begin(self) -> None:
        self._rows = []

    def reset_rows(self, cur: Cursor) -> None:
        """Kept on a rebuild: the rows are re-derived with ``ON CONFLICT DO NOTHING``."""

    def on_event(self, cur: Cursor, lc: Lifecycle, state: Any, n: Notified) -> None:
        spec = OUTBOX_EVENTS.get(type(n.event).__name__)
        recorded = n.event.timestamp
        now = datetime.now(UTC)
        status = "pending" if now - recorded <= self.max_age else "stale"
        if spec is None:
            self._requests(lc, state, n, status, now)
            return
        what, clock_attr, to_attr = spec
        key = str(getattr(n.event, clock_attr))
        self._rows.append(
            (
                n.originator_id,
                n.version,
                n.id,
                lc.kind,
                lc.partnership(state),
                lc.ref(state),
                what,
                key,
                _label(state, key),
                n.event.due_on.isoformat(),
                "|".join(str(r) for r in getattr(n.event, to_attr)),
                "|".join(lc.agencies(state)),
                recorded.isoformat(),
                status,
                now.isoformat(),
            )
        )

    def _requests(self, lc: Lifecycle, state: Any, n: Notified, status: str, now: datetime) -> None:
        """One ``request`` row per agency a step asks something of (see the module)."""
        for clock in getattr(n.event, "opened", None) or ():
            key = str(clock.get("key", ""))
            _, _, agency = key.partition(":")
            role = clock.get("owner_role") or clock.get("owner")
            if not agency or not role:
                continue
            due_on = str(clock["due_on"])[:10]
            if due_on < n.event.timestamp.date().isoformat():
                continue  # entered after the fact (already due when recorded): not news
            self._rows.append(
                (
                    f"{n.originator_id}/{agency}",
                    n.version,
                    n.id,
                    lc.kind,
                    lc.partnership(state),
                    lc.ref(state),
                    "request",
                    key,
                    str(clock.get("label") or _label(state, key)),
                    due_on,
                    str(role),
                    agency,
                    n.event.timestamp.isoformat(),
                    status,
                    now.isoformat(),
                )
            )

    def flush(self, cur: Cursor) -> None:
        rows, self._rows = self._rows, []
        cur.executemany(
            "INSERT INTO {notify_outbox} (originator_id, version, notification_id, kind, "
            "partnership, ref, what, step_key, step_label, due_on, roles, agencies, "
            "recorded_at, status, next_attempt_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (originator_id, version) DO NOTHING",
            rows,
            bulk=True,  # DO NOTHING: a repeated key is skipped, as row by row
        )


def outbox_rows(
    cur: Cursor,
    *,
    partnership: str | None = None,
    status: str | None = None,
    ref: str | None = None,
    limit: int = 200,
) -> list[OutboxRow]:
    """Outbox rows, newest first (``partnership``/``status``/``ref``: only those)."""
    where, args = [], []
    if partnership is not None:
        where.append("partnership = ?")
        args.append(partnership)
    if ref is not None:
        where.append("ref = ?")
        args.append(ref)
    if status is not None:
        where.append("status = ?")
        args.append(status)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = cur.execute(
        "SELECT * FROM {notify_outbox} " + clause + "ORDER BY notification_id DESC LIMIT ?",
        (*args, limit),
    ).fetchall()
    return [row_of(r) for r in rows]


#: the role an agency's own asks are owed by (``domain.tenancy.Role.AGENCY_LEAD``)
AGENCY_LEAD = "agency safeguarding lead"


def for_agencies(rows: Sequence[OutboxRow], agencies: Iterable[str]) -> list[OutboxRow]:
    """The emails an agency's safeguarding lead may see: those addressed to their
    agency. That is a step keyed to it (``agency_summary:POLICE``: their agency's ask,
    its reminder, its escalation), or a step with no agency in its key that the agency
    lead role owes on a record their agency is part of. Never another agency's ask, nor
    a step the partnership's own staff owe (the API's outbox, ``/dev/mail`` and a
    record's page all use this one rule)."""
    mine = {a.upper() for a in agencies}
    out = []
    for r in rows:
        _, _, agency = r.step_key.partition(":")
        if agency:
            if agency.upper() in mine:
                out.append(r)
        elif AGENCY_LEAD in r.roles and mine & {a.upper() for a in r.agencies}:
            out.append(r)
    return out


def row_of(r: Any) -> OutboxRow:
    return OutboxRow(
        originator_id=r["originator_id"],
        version=int(r["version"]),
        kind=r["kind"],
        partnership=r["partnership"],
        ref=r["ref"],
        what=r["what"],
        step_key=r["step_key"],
        step_label=r["step_label"],
        due_on=date.fromisoformat(r["due_on"]),
        roles=tuple(x for x in r["roles"].split("|") if x),
        agencies=tuple(x for x in r["agencies"].split("|") if x),
        status=r["status"],
        attempts=int(r["attempts"]),
        next_attempt_at=datetime.fromisoformat(r["next_attempt_at"]),
        last_error=r["last_error"],
        sent_at=datetime.fromisoformat(r["sent_at"]) if r["sent_at"] else None,
        recipients=int(r["recipients"]),
    )
