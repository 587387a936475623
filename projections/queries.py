"""Queries over the read models. They read view tables only, never aggregates.

Anything that depends on "today" (working days left, RAG, overdue) is computed
here at query time from the recorded due day, so the views never go stale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from domain.calendar import WorkingDayCalendar, count_working_days, working_days_from
from domain.tenancy import Scope
from domain.trusted import trusted_maker
from projections.db import ViewDB
from projections.views import FoldingProjection, Sealer

__all__ = [
    "MEASURE_LABELS",
    "SORTS",
    "OversightRow",
    "TimelinessRow",
    "TrailRow",
    "oversight",
    "oversight_with_states",
    "quarter_of",
    "rag",
    "timeliness",
    "trail",
]

Rag = Literal["red", "amber", "green"]
SORTS = ("due", "rag", "ref", "stage", "partnership", "owner")

MEASURE_LABELS = {
    "notification": "notifications within 5 working days",
    "rapid_review": "rapid reviews within 15 working days",
    "lcspr": "LCSPRs within 6 months",
    "publication_notice": "publications with 7 working days' notice",
    "concern_gm_review": "Group Manager concern reviews on time",
}


def rag(
    *,
    breached: bool,
    due_on: date | None,
    today: date,
    calendar: WorkingDayCalendar,
    amber_working_days: int,
    left_until: Callable[[date], int] | None = None,
) -> tuple[Rag, int | None]:
    """RAG status and working days left.

    red: a breach is recorded or the due day has passed; amber: due within
    ``amber_working_days`` working days (due today counts); green: otherwise.
    ``left_until``: ``working_days_from(calendar, today)``, made once for many rows.
    """
    if due_on is None:
        return ("red" if breached else "green"), None
    left = (
        left_until(due_on)
        if left_until is not None
        else count_working_days(calendar, today, due_on)
    )
    if breached or due_on < today:
        return "red", left
    if left <= amber_working_days:
        return "amber", left
    return "green", left


class OversightRow(BaseModel):
    kind: str
    ref: str
    partnership: str
    stage: str
    owner: str
    next_deadline: str | None
    next_due_on: date | None
    working_days_left: int | None
    rag: Rag
    breached: list[str]
    paused_clocks: int
    agencies: list[str] = []


def oversight(
    db: ViewDB,
    *,
    today: date,
    calendar: WorkingDayCalendar,
    amber_working_days: int,
    kind: str | None = None,
    stage: str | None = None,
    partnership: str | None = None,
    owner: str | None = None,
    rag_in: set[str] | None = None,
    sort: str = "due",
    descending: bool = False,
    scope: Scope | None = None,
) -> list[OversightRow]:
    """Every open case (all lifecycles) inside ``scope``, filtered and sorted.

    ``scope``: the principal's partnership, and for an agency's lead only the
    records their agencies are part of. ``None`` is every partnership (operations).
    """
    if sort not in SORTS:
        raise ValueError(f"sort by one of {', '.join(SORTS)}")
    found = _oversight_where(kind, stage, partnership, owner, scope)
    if found is None:
        return []
    where, params = found
    with db.read() as cur:
        columns, rows = cur.tuples("SELECT * FROM {oversight}" + where, params)
    out = [
        row
        for row in _oversight_rows(columns, rows, today, calendar, amber_working_days)
        if not rag_in or row.rag in rag_in
    ]
    return _sorted(out, sort, descending)


def oversight_with_states(
    db: ViewDB,
    projection: FoldingProjection,
    *,
    today: date,
    calendar: WorkingDayCalendar,
    amber_working_days: int,
    partnership: str | None = None,
    scope: Scope | None = None,
    kinds: Sequence[str] | None = None,
) -> list[tuple[OversightRow, Any]]:
    """The open records inside ``scope`` (as ``oversight``, soonest due first), each with
    the state ``projection`` folded for it (``None`` if it has none), read in ONE query
    from one snapshot: the states the oversight rows were written from, so a page that
    lists records with their clocks (the inbox) loads no record from the event store."""
    found = _oversight_where(None, None, partnership, None, scope, table="o.")
    if found is None or (kinds is not None and not kinds):
        return []
    where, params = found
    if kinds is not None:  # only these lifecycles' rows (and states)
        where += (" AND " if where else " WHERE ") + f"o.kind IN ({', '.join('?' * len(kinds))})"
        params = [*params, *kinds]
    sql = (
        "SELECT o.*, s.kind AS state_kind, s.state AS state FROM {oversight} o "
        "LEFT JOIN {projection_state} s "
        "ON s.projection = ? AND s.originator_id = o.originator_id" + where
    )
    with db.read() as cur:
        columns, rows = cur.tuples(sql, [projection.name, *params])
    if not rows:
        return []
    kind_at, state_at = columns["state_kind"], columns["state"]
    states = [projection.stored_state(r[kind_at], r[state_at]) for r in rows]
    pairs = zip(
        _oversight_rows(columns, rows, today, calendar, amber_working_days), states, strict=True
    )
    return sorted(pairs, key=lambda pair: _due_key(pair[0]))


def _oversight_where(
    kind: str | None,
    stage: str | None,
    partnership: str | None,
    owner: str | None,
    scope: Scope | None,
    table: str = "",
) -> tuple[str, list[str]] | None:
    """The WHERE clause (and its parameters) of the oversight filters inside ``scope``;
    ``None`` when the scope can see nothing."""
    if scope is not None:
        if partnership is not None and partnership.upper() != scope.partnership:
            return None
        partnership = scope.partnership
    where, params = [], []
    for column, value in (
        ("kind", kind),
        ("stage", stage),
        ("partnership", partnership.upper() if partnership else None),
        ("owner", owner),
    ):
        if value is not None:
            where.append(f"{table}{column} = ?")
            params.append(value)
    if scope is not None and scope.agencies is not None:
        if not scope.agencies:
            return None
        where.append("(" + " OR ".join(f"{table}agencies LIKE ?" for _ in scope.agencies) + ")")
        params.extend(f"%|{a.upper()}|%" for a in scope.agencies)
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _oversight_rows(
    columns: dict[str, int],
    rows: list[Any],
    today: date,
    calendar: WorkingDayCalendar,
    amber_working_days: int,
) -> list[OversightRow]:
    """The view's rows (read by position, ``columns`` naming them) with today's working
    days left and RAG.

    The rows of a national query share few due days and few lists of agencies: each
    is parsed (and counted) once per query (issue 12: per row, the query did several
    times the work of fetching it); each row becomes an ``OversightRow`` without
    validation (the view's own rows, written from checked events)."""
    if not rows:
        return []
    out = []
    left_until = working_days_from(calendar, today)
    counted: dict[tuple[str | None, bool], tuple[date | None, Rag, int | None]] = {}
    lists: dict[str, list[str]] = {"": []}
    make = trusted_maker(OversightRow)
    (kind, ref, partnership, stage, owner, label, due_on, breached, labels, paused, agencies) = (
        columns[c]
        for c in (
            "kind",
            "ref",
            "partnership",
            "stage",
            "owner",
            "next_label",
            "next_due_on",
            "breached",
            "breached_labels",
            "paused",
            "agencies",
        )
    )
    for r in rows:
        key = (r[due_on], bool(r[breached]))
        found = counted.get(key)
        if found is None:
            due = date.fromisoformat(key[0]) if key[0] else None
            status, left = rag(
                breached=key[1],
                due_on=due,
                today=today,
                calendar=calendar,
                amber_working_days=amber_working_days,
                left_until=left_until,
            )
            found = counted[key] = (due, status, left)
        named, involved = r[labels], r[agencies]
        if named not in lists:
            lists[named] = [b for b in named.split("; ") if b]
        if involved not in lists:
            lists[involved] = [a for a in involved.split("|") if a]
        out.append(
            make(
                {
                    "kind": r[kind],
                    "ref": r[ref],
                    "partnership": r[partnership],
                    "stage": r[stage],
                    "owner": r[owner],
                    "next_deadline": r[label],
                    "next_due_on": found[0],
                    "working_days_left": found[2],
                    "rag": found[1],
                    "breached": list(lists[named]),  # each row its own list
                    "paused_clocks": r[paused],
                    "agencies": list(lists[involved]),
                },
            )
        )
    return out


def _due_key(row: OversightRow) -> tuple[date, str]:
    """Soonest due first (undated last), then by reference."""
    return (row.next_due_on or date.max, row.ref)


def _sorted(rows: list[OversightRow], sort: str, descending: bool) -> list[OversightRow]:
    order = {"red": 0, "amber": 1, "green": 2}

    def key(row: OversightRow) -> tuple[object, ...]:
        due_key = _due_key(row)
        if sort == "due":
            return due_key
        if sort == "rag":
            return (order[row.rag], *due_key)
        return (getattr(row, sort), *due_key)

    return sorted(rows, key=key, reverse=descending)


class TrailRow(BaseModel):
    version: int
    when: datetime
    who: str
    role: str
    what: str
    why: str | None


def trail(
    db: ViewDB, ref: str, *, partnership: str, sealer: Sealer, kind: str = "review"
) -> list[TrailRow]:
    """A case's audit trail, oldest first (a reference is unique within its partnership)."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT * FROM {audit_trail} WHERE kind = ? AND partnership = ? AND ref = ? "
            "ORDER BY version",
            (kind, partnership.strip().upper(), ref.strip().upper()),
        ).fetchall()
    return [
        TrailRow(
            version=r["version"],
            when=datetime.fromisoformat(r["recorded_at"]),
            who=str(sealer.unseal(r["who_name"])),
            role=r["who_role"],
            what=str(sealer.unseal(r["what"])),
            why=sealer.unseal(r["why"]),
        )
        for r in rows
    ]


class TimelinessRow(BaseModel):
    """One measure for one partnership and quarter (by the quarter the clock fell due)."""

    partnership: str
    quarter: str
    measure: str
    label: str
    due: int
    within: int
    late: int
    overdue: int
    pending: int

    @property
    def percent_within(self) -> float | None:
        decided = self.within + self.late + self.overdue
        return round(100 * self.within / decided, 1) if decided else None


def quarter_of(day: date, year_start_month: int = 4) -> str:
    """The reporting quarter of ``day``: "2025/26 Q1" (year from April) or "2025 Q1"."""
    offset = (day.month - year_start_month) % 12
    start_year = day.year if day.month >= year_start_month else day.year - 1
    q = offset // 3 + 1
    if year_start_month == 1:
        return f"{start_year} Q{q}"
    return f"{start_year}/{(start_year + 1) % 100:02d} Q{q}"


def timeliness(
    db: ViewDB,
    *,
    today: date,
    year_start_month: int = 4,
    partnership: str | None = None,
    quarter: str | None = None,
    scope: Scope | None = None,
) -> list[TimelinessRow]:
    """Per partnership, quarter and measure: met within the statutory time, late,
    overdue (not met, past due) and pending (not yet due). Cancelled clocks are not counted.

    ``scope``: only the principal's partnership (figures, not records: an agency's
    lead sees the partnership's figures); ``None`` is every partnership (operations).
    """
    if scope is not None:
        if partnership is not None and partnership.upper() != scope.partnership:
            return []
        partnership = scope.partnership
    sql = "SELECT * FROM {timeliness_clocks} WHERE status NOT IN ('cancelled', 'not_required')"
    params: list[str] = []
    if partnership:
        sql += " AND partnership = ?"
        params.append(partnership.upper())
    with db.read() as cur:
        rows = cur.execute(sql, params).fetchall()
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: {"due": 0, "within": 0, "late": 0, "overdue": 0, "pending": 0}
    )
    for r in rows:
        due_on = date.fromisoformat(r["due_on"])
        if r["status"] == "not_met" and not r["breached"] and due_on >= today:
            continue  # closed before it fell due, with the reason recorded: never due
        q = quarter_of(due_on, year_start_month)
        if quarter and q != quarter:
            continue
        c = counts[(r["partnership"], q, r["measure"])]
        c["due"] += 1
        if r["status"] == "met":
            met_on = date.fromisoformat(r["met_on"])
            c["within" if met_on <= due_on else "late"] += 1
        elif r["breached"] or due_on < today:
            c["overdue"] += 1
        else:
            c["pending"] += 1
    measures = list(MEASURE_LABELS)
    return [
        TimelinessRow(
            partnership=p,
            quarter=q,
            measure=m,
            label=MEASURE_LABELS.get(m, m),
            **c,
        )
        for (p, q, m), c in sorted(
            counts.items(),
            key=lambda kv: (
                kv[0][0],
                kv[0][1],
                measures.index(kv[0][2]) if kv[0][2] in measures else 99,
            ),
        )
    ]
