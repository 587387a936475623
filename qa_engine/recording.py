"""What every application service shares: idempotent writes and readable history.

Every write carries an idempotency key. ``write_once`` loads the aggregate, and
if the key is already recorded returns its state untouched (a retried activity
appends nothing); otherwise it applies the change and saves, and if a concurrent
writer saved first (optimistic concurrency) it reloads, re-checks and tries again,
after a short random wait that doubles each time (exponential backoff with full
jitter, so writers that collided do not collide again in step). It gives up only
after ``WRITE_PATIENCE`` seconds of conflicts, never after a fixed count: concurrent
steps on one case all land, or are refused by a rule when they are re-checked.
"""

from __future__ import annotations

import pickle
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    Repository,
    project_aggregate,
)
from eventsourcing.persistence import RecordConflictError
from eventsourcing.sqlite import SQLiteAggregateRecorder
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel, Field

from domain.calendar import CalendarRangeError, WorkingDayCalendar
from domain.errors import CaseAlreadyExists, CaseNotFound, RuleViolation
from domain.qa.record import QaRecord
from domain.trusted import trusted
from domain.values import Command
from qa_engine.due_days import check_agreed_due_days
from qa_engine.ledger import LedgerProblem, LedgerRecorder
from qa_engine.store import EVENT_STORE, TAG, TYPE_KEY, OrjsonTranscoder, revive_tagged

if TYPE_CHECKING:  # both import this module
    from qa_engine.access_log import AccessEntry, AccessLogService
    from qa_engine.partnerships import PartnershipService

__all__ = [
    "LOG_REF",
    "RETRIES",
    "WRITE_PATIENCE",
    "HistoryEntry",
    "RecordService",
    "StoreService",
    "VerifyResult",
    "aggregates_in_log",
    "counted",
    "history_entry",
    "ledger_of",
    "name_stream",
    "result_of",
    "stored_history",
    "topic_prefix",
    "verify_log",
    "verify_stored",
    "write_once",
]

#: kept for callers that read it; ``write_once`` is bounded by time, not attempts
RETRIES = 5
#: how long ``write_once`` keeps retrying conflicting saves of one aggregate (seconds)
WRITE_PATIENCE = 60.0
#: the first backoff's upper bound, and the cap of every later one (seconds)
BACKOFF_FIRST, BACKOFF_CAP = 0.005, 0.5


class HistoryEntry(BaseModel):
    """One recorded fact, readable without knowing event classes: when it was recorded
    (``recorded_at``, recording time) and when it happened (``happened_on``, fact time)."""

    version: int
    recorded_at: datetime
    happened_on: date = Field(
        description="the day the fact happened (its own date; the recording day, London "
        "time, for a fact with no date of its own)"
    )
    event: str
    actor: dict[str, Any]
    data: dict[str, Any]
    hash: str


class VerifyResult(BaseModel):
    """One stream's (or the whole log's) check. ``first_bad_version`` and ``reason`` name
    the first problem; ``problems`` lists every one, each located."""

    case_ref: str
    ok: bool
    records: int
    first_bad_version: int | None = None
    reason: str | None = None
    problems: list[LedgerProblem] = []
    #: whole-log check only: the last sealed notification, the anchor's, and remarks
    head: int | None = None
    anchor: int | None = None
    notes: list[str] = []


#: Names a record from the state of its first event.
RefOf = Callable[[dict[str, Any]], str | None]

#: An aggregate with ``applied_keys`` (key -> version) and ``state``.
A = TypeVar("A")


def write_once(
    load: Callable[[], A], save: Callable[[A], Any], key: str, act: Callable[[A], None]
) -> Any:
    """Apply ``act`` to a freshly loaded aggregate and save it, exactly once per ``key``.

    A save that loses a race to a concurrent writer is retried (reload, re-check with
    ``act``, save) after a jittered, doubling backoff, for up to ``WRITE_PATIENCE`` s."""
    give_up = time.monotonic() + WRITE_PATIENCE
    conflicts = 0
    while True:
        aggregate = load()
        keyed: Any = aggregate
        if key in keyed.applied_keys:
            return keyed.state
        act(aggregate)
        try:
            save(aggregate)
        except RecordConflictError:
            # someone else wrote first: wait a little, reload, re-check, retry
            conflicts += 1
            if time.monotonic() >= give_up:
                raise RuntimeError(
                    f"could not record {key}: {conflicts} concurrent conflicts in "
                    f"{WRITE_PATIENCE:.0f}s"
                ) from None
            time.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_FIRST * 2**conflicts)))
            continue
        return keyed.state


def _dates(value: Any, path: str) -> Iterator[tuple[str, date]]:
    if isinstance(value, date) and not isinstance(value, datetime):
        yield path, value
    elif isinstance(value, BaseModel):
        for name, item in value:
            yield from _dates(item, f"{path}.{name}" if path else name)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _dates(item, f"{path}.{i}")


@contextmanager
def counted(command: object = None) -> Iterator[None]:
    """Deadlines counted from ``command``'s days: a day the working-day calendar cannot
    count becomes a ``RuleViolation`` naming the field (rule ``date_in_calendar_range``),
    never a plain error an activity would retry for ever. Commands already refuse days
    outside ``domain.values.FIRST_DAY``..``LAST_DAY``; this catches a deadline counted
    past the calendar's end from an accepted day."""
    try:
        yield
    except CalendarRangeError as e:
        field = next((f for f, d in _dates(command, "") if d == e.day), None)
        raise RuleViolation(str(e), field=field or "date", rule="date_in_calendar_range") from None


_HIDDEN = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "actor",
        "key",
        "prev_hash",
        "hash",
        "originator_topic",
        "initial",
        "class_version",
    }
)


_LONDON = ZoneInfo("Europe/London")
#: the field holding when the fact happened, where the event's first day is not it
_FACT_FIELD = {"IncidentReported": "aware_on", "ClockPaused": "paused_on"}
#: days an event carries that are not when its fact happened: deadlines, plans and
#: periods, and the day a report was entered into the system
_NOT_FACT = frozenset(
    {"due_on", "planned_on", "period_start", "period_end", "reported_on", "expected_on"}
)


def fact_day(event: str, data: dict[str, Any], recorded_at: datetime) -> date:
    """When the fact an event records happened (fact time, for ``--as-of``): its named
    fact field, else its first own day (not a deadline, plan or period), else the London
    day of its own moment (``at``: a reminder, a breach), else the day it was recorded."""
    named = _FACT_FIELD.get(event)
    value = data.get(named) if named else None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    for key, value in data.items():
        if key in _NOT_FACT or isinstance(value, datetime) or not isinstance(value, date):
            continue
        return value
    return _moment_day(data, recorded_at)


def _moment_day(data: dict[str, Any], recorded_at: datetime) -> date:
    """The London day of an event's own moment (``at``), else of its recording."""
    at = data.get("at")
    moment = at if isinstance(at, datetime) and at.tzinfo is not None else recorded_at
    return moment.astimezone(_LONDON).date()


def history_entry(ev: Any) -> HistoryEntry:
    return _entry(ev.originator_version, type(ev).__name__, vars(ev))


def _entry(version: int, event: str, state: dict[str, Any]) -> HistoryEntry:
    # built from stored records (checked when they were recorded): not validated again
    return trusted(
        HistoryEntry,
        {
            "version": version,
            "recorded_at": state["timestamp"],
            "happened_on": fact_day(event, state, state["timestamp"]),
            "event": event,
            "actor": state.get("actor", {}),
            "data": {k: v for k, v in state.items() if k not in _HIDDEN},
            "hash": state.get("hash", ""),
        },
    )


def _stored_rows(app: Any, aggregate_id: UUID) -> list[tuple[int, str, bytes]]:
    """An aggregate's stored records as (version, topic, state), oldest first. On SQLite
    read straight from the recorder's table: the recorder's own ``select_events`` turns
    every row's id into a ``UUID`` and a ``StoredEvent`` that a history never uses."""
    recorder = app.recorder
    if isinstance(recorder, SQLiteAggregateRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_version, topic, state FROM {recorder.events_table_name} "
                "WHERE originator_id = ? ORDER BY originator_version",
                (aggregate_id.hex,),
            )
            return [(r[0], r[1], r[2]) for r in c.fetchall()]
    return [(r.originator_version, r.topic, r.state) for r in recorder.select_events(aggregate_id)]


def stored_history(
    app: Any, aggregate_id: UUID, as_at: datetime | None = None, as_of: date | None = None
) -> list[HistoryEntry]:
    """An aggregate's recorded facts, oldest first, up to ``as_at`` (recorded by that
    moment) and ``as_of`` (happened by the end of that day): each stored record
    decoded once and upcast to today's shape, without building event objects (the same
    entries as ``history_entry`` of each domain event)."""
    mapper = app.mapper
    cipher, compressor, decode = mapper.cipher, mapper.compressor, mapper.transcoder.decode
    fast = type(mapper.transcoder) is OrjsonTranscoder
    entries: list[HistoryEntry] = []
    classes: dict[str, Any] = {}
    for version, topic, data in _stored_rows(app, aggregate_id):
        cls = classes.get(topic)
        if cls is None:
            cls = classes[topic] = resolve_topic(topic)
        if cipher:
            data = cipher.decrypt(data)
        if compressor:
            data = compressor.decompress(data)
        entry = _fast_entry(version, cls, data) if fast else None
        if entry is None:  # upcast, nested tags or another transcoder: the general path
            state: dict[str, Any] = decode(data)
            have, want = state.pop("class_version", 1), getattr(cls, "class_version", 1)
            while have < want:
                getattr(cls, f"upcast_v{have}_v{have + 1}")(state)
                have += 1
            entry = _entry(version, cls.__name__, state)
        if as_at is not None and entry.recorded_at > as_at:
            continue
        if as_of is not None and entry.happened_on > as_of:
            continue
        entries.append(entry)
    return entries


def _fast_entry(version: int, cls: Any, data: bytes) -> HistoryEntry | None:
    """The entry of a stored record in one pass over its fields (decode, revive the
    tagged top-level values, find the fact's day, drop the hidden fields): ``_entry``
    of the transcoder's ``decode``, for the common record. ``None`` where that path
    is needed: a record to upcast, or one with tagged values nested below the top."""
    obj = orjson.loads(data)
    if type(obj) is not dict or obj.get("class_version", 1) != getattr(cls, "class_version", 1):
        return None
    tags = data.count(TAG)
    event = cls.__name__
    shown: dict[str, Any] = {}
    first_day: date | None = None
    for k, v in obj.items():
        if tags and type(v) is dict and len(v) == 2 and TYPE_KEY in v:
            revived = revive_tagged(v)
            if revived is not v:
                v = obj[k] = revived
                tags -= 1
        if first_day is None and type(v) is date and k not in _NOT_FACT:
            first_day = v
        if k not in _HIDDEN:
            shown[k] = v
    if tags:
        return None  # a tag below the top level (or in free text): the general path
    timestamp = obj["timestamp"]
    named = _FACT_FIELD.get(event)
    happened = obj.get(named) if named else None
    if type(happened) is not date:
        happened = first_day
    if happened is None:
        happened = _moment_day(obj, timestamp)
    return trusted(
        HistoryEntry,
        {
            "version": version,
            "recorded_at": timestamp,
            "happened_on": happened,
            "event": event,
            "actor": obj.get("actor", {}),
            "data": shown,
            "hash": obj.get("hash", ""),
        },
    )


def verify_stored(app: Any, aggregate_id: UUID, ref: str | None, ref_of: RefOf) -> VerifyResult:
    """Check one aggregate's stored records against the ledger, naming the first bad one.

    Works on the records as stored, before any decoding or upcasting (see
    ``qa_engine.ledger``): an edited record (ciphertext included), a deleted one, the
    newest one deleted, or one inserted without a ledger row is reported, never raised.
    ``ref_of`` names the record from its first event when ``ref`` is not known.
    """
    recorder = ledger_of(app)
    check = recorder.verify_stream(aggregate_id)
    if not check.records and not check.sealed:
        raise CaseNotFound(f"no record {ref or aggregate_id}", field="ref", rule="exists")
    if ref is None:
        ref = name_stream(app, aggregate_id, ref_of) or f"aggregate {aggregate_id}"
    return result_of(ref, check.records, check.problems)


def ledger_of(app: Any) -> LedgerRecorder:
    recorder = app.recorder
    if not isinstance(recorder, LedgerRecorder):
        raise TypeError("the event store has no ledger: build the services with store_env()")
    return recorder


def name_stream(app: Any, aggregate_id: Any, ref_of: RefOf) -> str | None:
    """The record's reference, from its first stored event."""
    first = app.recorder.select_events(aggregate_id, lte=1)
    if not first or first[0].originator_version != 1:
        return None
    try:  # the opening event as today's code reads it (upcast), for its typed reference
        name = ref_of(dict(vars(app.mapper.to_domain_event(first[0]))))
    except Exception:  # an unreadable or altered record is reported by the checks
        name = None
    if name is None:
        state = ledger_of(app).decode_state(first[0].state)
        name = ref_of(state) if state is not None else None
    return name


def result_of(ref: str, records: int, problems: list[LedgerProblem]) -> VerifyResult:
    if not problems:
        return VerifyResult(case_ref=ref, ok=True, records=records)
    located = [p for p in problems if p.version is not None]
    first = min(located, key=lambda p: p.version or 0) if located else problems[0]
    return VerifyResult(
        case_ref=ref,
        ok=False,
        records=records,
        first_bad_version=first.version,
        reason=first.message,
        problems=problems,
    )


#: ``case_ref`` of the whole-log check's result
LOG_REF = "notification log"


def verify_log(app: Any, ref_of: RefOf) -> VerifyResult:
    """Check the whole notification log (every record, the log chain, the anchor),
    naming every problem, with the case it belongs to where that can still be named."""
    check = ledger_of(app).verify_log()
    names: dict[str, str] = {}
    problems = []
    for p in check.problems:
        if p.originator_id is not None:
            if p.originator_id not in names:
                try:
                    name = name_stream(app, UUID(p.originator_id), ref_of)
                except ValueError:
                    name = None
                names[p.originator_id] = name or f"aggregate {p.originator_id}"
            p = p.model_copy(update={"message": f"{names[p.originator_id]}: {p.message}"})
        problems.append(p)
    result = result_of(LOG_REF, check.records, problems)
    return result.model_copy(
        update={"head": check.head, "anchor": check.anchor, "notes": check.notes}
    )


def stored_state(app: Any, record: Any) -> dict[str, Any]:
    """A record's state exactly as stored: decrypted and decoded, never upcast."""
    data = record.state
    if app.mapper.cipher:
        data = app.mapper.cipher.decrypt(data)
    if app.mapper.compressor:
        data = app.mapper.compressor.decompress(data)
    state: dict[str, Any] = app.mapper.transcoder.decode(data)
    return state


K = TypeVar("K")


def aggregates_in_log(app: Any, prefixes: dict[str, K]) -> dict[UUID, K]:
    """Aggregate id -> label of every aggregate whose event topics start with a prefix,
    read from the notification log itself (not from a view), in log order."""
    found: dict[UUID, K] = {}
    start = 0
    while batch := app.recorder.select_notifications(
        start=start, limit=1000, inclusive_of_start=False
    ):
        for n in batch:
            label = next((k for p, k in prefixes.items() if n.topic.startswith(p)), None)
            if label is not None:
                found.setdefault(UUID(str(n.originator_id)), label)
        start = batch[-1].id
    return found


def topic_prefix(cls: type) -> str:
    """The topic prefix shared by every event nested in aggregate class ``cls``."""
    return f"{cls.__module__}:{cls.__qualname__}."


def scoped_id(app: Any, partnership: str, scoped: UUID, legacy: UUID) -> UUID:
    """The aggregate id of a record in ``partnership``: ``scoped`` (ids that include the
    partnership), or, for a record written before partnerships were tenants, its
    ``legacy`` id when the record it names belongs to that partnership."""
    cache = getattr(getattr(app, "repository", None), "cache", None)
    if cache is not None:
        try:
            cache.get(scoped)  # kept in memory: it was loaded from the store, so it exists
            return scoped
        except KeyError:
            pass
    if app.recorder.select_events(scoped, limit=1):
        return scoped
    first = app.recorder.select_events(legacy, limit=1)
    opened = app.mapper.to_domain_event(first[0]) if first else None
    if opened is not None and getattr(opened, "partnership", None) == partnership.upper():
        return legacy
    return scoped


def partnership_of_legacy(app: Any, legacy: UUID, what: str) -> str:
    """The partnership a record written before partnerships were tenants belongs to."""
    first = app.recorder.select_events(legacy, limit=1)
    if not first:
        raise CaseNotFound(f"no {what}", field="ref", rule="record_exists")
    return str(app.mapper.to_domain_event(first[0]).partnership)


class CopyingRepository(Repository[UUID]):
    """The repository of every service: a record kept in memory is handed out as a copy
    (so that a refused or conflicting step cannot change the kept one), made by a pickle
    round trip rather than ``copy.deepcopy``: the same deep copy, in C, about half the
    time of a step's copy (issue 12; the copy grows with the record)."""

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = project_aggregate,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        aggregate = super().get(
            aggregate_id,
            version=version,
            projector_func=projector_func,
            fastforward_skipping=fastforward_skipping,
            deepcopy_from_cache=False,
        )
        if self.cache and version is None and deepcopy_from_cache and self.deepcopy_from_cache:
            return pickle.loads(pickle.dumps(aggregate, pickle.HIGHEST_PROTOCOL))
        return aggregate


class StoreService(Application[UUID]):
    """What every lifecycle's service over the one event store is built with: the
    working-day calendar, the access log its reads are recorded in, and the
    partnerships' recorded policies."""

    name = EVENT_STORE

    def __init__(
        self,
        env: dict[str, str],
        *,
        calendar: WorkingDayCalendar,
        access: AccessLogService,
        partnerships: PartnershipService,
    ) -> None:
        super().__init__(env=env)
        self.calendar = calendar
        self.access = access
        self.partnerships = partnerships

    def construct_repository(self) -> Repository[UUID]:
        made = super().construct_repository()  # eventsourcing's settings, read from env
        maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CopyingRepository(
            event_store=made.event_store,
            snapshot_store=made.snapshot_store,
            cache_maxsize=int(maxsize) if maxsize else None,
            fastforward=made.fastforward,
            fastforward_skipping=made.fastforward_skipping,
            deepcopy_from_cache=made.deepcopy_from_cache,
        )

    def _note_read(
        self,
        record: Any,
        *,
        kind: str,
        ref: str,
        actor: dict[str, Any],
        view: str,
        purpose: str,
        as_at: datetime | None,
        as_of: date | None,
    ) -> AccessEntry:
        """Record in the access log that a person read ``record`` (events or trail)."""
        return self.access.record_read(
            record_id=record.id,
            kind=kind,
            ref=ref,
            partnership=record.state.partnership,
            actor=actor,
            view=view,
            purpose=purpose,
            as_at=as_at,
            as_of=as_of,
        )


class RecordService(StoreService):
    """The writes every lifecycle-2 and lifecycle-3 service shares: open a record once
    (a retried opening with the same key returns it; another opening of the same
    reference is refused), record a step through ``write_once``, load a record of one
    kind. Subclasses say how a record's stream id is found (``_stream_id``)."""

    def _stream_id(self, cls: type[QaRecord], partnership: str, ref: str) -> UUID:
        raise NotImplementedError

    def _open(
        self,
        cls: type[QaRecord],
        partnership: str,
        ref: str,
        key: str,
        make: Callable[[], QaRecord],
    ) -> Any:
        def existing_state() -> Any:
            existing = self._load(cls, partnership, ref)
            if key in existing.applied_keys:
                return existing.state
            raise CaseAlreadyExists(
                f"{cls.KIND} {ref} already exists in partnership {partnership.upper()}",
                field="ref",
                rule="unique_ref",
            )

        try:
            return existing_state()
        except CaseNotFound:
            pass
        record = make()
        try:
            self.save(record)
        except RecordConflictError:
            return existing_state()
        return record.state

    def _step(
        self,
        cls: type[QaRecord],
        partnership: str,
        ref: str,
        step: str,
        command: Command,
        key: str,
        today: date,
        plan: Callable[[Any, Command, WorkingDayCalendar], list[Any]] | None = None,
    ) -> Any:
        """Record one step; ``plan`` computes the clocks it opens (with the calendar)."""
        model = cls.STATE.COMMANDS.get(step)
        if model is None or not isinstance(command, model):
            raise TypeError(f"{step} is not a step of {cls.KIND} taking {type(command).__name__}")

        def act(record: QaRecord) -> None:
            record.state.check(command, today)
            opened: list[Any] = []
            if plan is not None:
                with counted(command):
                    check_agreed_due_days(command, self.calendar)
                    opened = plan(record.state, command, self.calendar)
            record.record(command, key=key, today=today, opened=opened)

        return self._write(cls, partnership, ref, key, act)

    def _write(
        self,
        cls: type[QaRecord],
        partnership: str,
        ref: str,
        key: str,
        act: Callable[[QaRecord], None],
    ) -> Any:
        return write_once(lambda: self._load(cls, partnership, ref), self.save, key, act)

    def _load(self, cls: type[QaRecord], partnership: str, ref: str) -> Any:
        missing = CaseNotFound(
            f"no {cls.KIND} {ref.upper()} in partnership {partnership.upper()}",
            field="ref",
            rule="record_exists",
        )
        try:
            record: QaRecord = self.repository.get(self._stream_id(cls, partnership, ref))
        except AggregateNotFoundError:
            raise missing from None
        if not isinstance(record, cls):
            raise missing
        return record
