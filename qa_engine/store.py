"""Event store wiring: eventsourcing over SQLite (default) or PostgreSQL.

Payloads are transcoded with orjson; with ``QA_CIPHER_KEY`` set they are
encrypted at rest with AES-GCM (eventsourcing's cipher). Every stored record is
sealed in the ledger (``qa_engine.ledger``), keyed by ``QA_LEDGER_KEY`` (or a key
made once in the data directory) and anchored in ``<data_dir>/ledger-anchor.json``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import register_topic

from qa_engine.config import Settings
from qa_engine.ledger import ENV_ANCHOR, ENV_KEY, ENV_LOCATION, load_or_create_key

__all__ = [
    "ACCESS_STORE",
    "EVENT_STORE",
    "TAG",
    "TYPE_KEY",
    "OrjsonTranscoder",
    "register_legacy_topics",
    "revive_tagged",
    "store_env",
]

#: Every lifecycle appends to ONE event store (one table, one notification log), so
#: projections, ``verify`` and the audit trail see every case in a single order.
EVENT_STORE = "qa_engine"

#: Reads of a record's history go to a store of their own (PostgreSQL: its own
#: table; SQLite: its own file), so page views never queue behind case writes.
ACCESS_STORE = "qa_access"

#: how many records each process keeps replayed in memory (least recently used dropped)
AGGREGATE_CACHE = 1000

_TYPE, _DATA = "_type_", "_data_"
#: the key that tags a stored typed value (a date, a moment, a UUID)
TYPE_KEY = _TYPE


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return {_TYPE: "datetime_iso", _DATA: obj.isoformat()}
    if isinstance(obj, date):
        return {_TYPE: "date_iso", _DATA: obj.isoformat()}
    if isinstance(obj, UUID):
        return {_TYPE: "uuid_hex", _DATA: obj.hex}
    raise TypeError(f"cannot store {type(obj).__name__}")


def revive_tagged(obj: dict[str, Any]) -> Any:
    kind, data = obj[_TYPE], obj[_DATA]
    if kind == "datetime_iso":
        return datetime.fromisoformat(data)
    if kind == "date_iso":
        return date.fromisoformat(data)
    if kind == "uuid_hex":
        return UUID(data)
    return obj


def _revive_in_place(obj: Any) -> Any:
    """Tagged values back to their types, walking only into containers and changing the
    freshly decoded containers in place (scalars, most of a record, are never visited)."""
    if type(obj) is dict:
        if len(obj) == 2 and _TYPE in obj and _DATA in obj:
            revived = revive_tagged(obj)
            if revived is not obj:
                return revived
        for k, v in obj.items():
            t = type(v)
            if t is dict or t is list:
                obj[k] = _revive_in_place(v)
        return obj
    if type(obj) is list:
        for i, v in enumerate(obj):
            t = type(v)
            if t is dict or t is list:
                obj[i] = _revive_in_place(v)
        return obj
    return obj


#: a tag as it appears in the stored bytes
TAG = b'"_type_"'


class OrjsonTranscoder(Transcoder):
    """orjson for speed; datetimes and UUIDs tagged so they come back typed."""

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def decode(self, data: bytes) -> Any:
        obj = orjson.loads(data)
        # Events tag their own typed fields (nested models are stored as plain JSON), so
        # revive the top level first and walk the containers only if tags are left.
        # The count is an upper bound: a free-text value could hold the same bytes.
        tags = data.count(TAG)
        if not tags:
            return obj
        if type(obj) is dict and not (len(obj) == 2 and _TYPE in obj):
            for k, v in obj.items():
                if type(v) is dict and len(v) == 2 and _TYPE in v and _DATA in v:
                    revived = revive_tagged(v)
                    if revived is not v:
                        obj[k] = revived
                        tags -= 1
            if not tags:
                return obj
        return _revive_in_place(obj)


def register_legacy_topics() -> None:
    """Make the topics earlier releases stored events under resolve to today's classes.

    A moved or renamed event class keeps loading: its old topic is registered here
    (idempotent: registering the same class twice is a no-op).
    """
    from domain.action_plan.aggregate import ActionPlan
    from domain.action_plan.events import LEGACY_TOPICS as ACTION_PLAN_TOPICS
    from domain.audit.aggregate import Audit
    from domain.audit.events import LEGACY_TOPICS as AUDIT_TOPICS
    from domain.child_of_concern.aggregate import ChildOfConcern
    from domain.child_of_concern.events import LEGACY_TOPICS as CONCERN_TOPICS
    from domain.review.aggregate import ReviewCase
    from domain.review.events import LEGACY_TOPICS as REVIEW_TOPICS

    # The aggregate classes themselves lived in modules that are now packages: a
    # created event names its aggregate's topic (``originator_topic``).
    register_topic("domain.review:ReviewCase", ReviewCase)
    register_topic("domain.audit:Audit", Audit)
    register_topic("domain.action_plan:ActionPlan", ActionPlan)
    register_topic("domain.child_of_concern:ChildOfConcern", ChildOfConcern)
    for topics in (REVIEW_TOPICS, AUDIT_TOPICS, ACTION_PLAN_TOPICS, CONCERN_TOPICS):
        for topic, cls in topics.items():
            register_topic(topic, cls)


def store_env(settings: Settings, store: str = EVENT_STORE) -> dict[str, str]:
    """The eventsourcing environment of ``store`` for ``settings`` (never os.environ)."""
    register_legacy_topics()
    key = settings.ledger_key.get_secret_value() if settings.ledger_key else ""
    env: dict[str, str] = {
        "TRANSCODER_TOPIC": "qa_engine.store:OrjsonTranscoder",
        ENV_KEY: key or load_or_create_key(settings.ledger_key_file),
        ENV_ANCHOR: str(settings.ledger_anchor_file.absolute()),
        # a step's cost must not grow with its case: records stay in memory and are
        # fast-forwarded by the events stored since (other processes' writes included)
        "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE),
    }
    if settings.cipher_key is not None and settings.cipher_key.get_secret_value():
        env["CIPHER_TOPIC"] = "eventsourcing.cipher:AESCipher"
        env["CIPHER_KEY"] = settings.cipher_key.get_secret_value()
    if settings.store == "sqlite":
        path = settings.sqlite_file
        if store == ACCESS_STORE:
            path = path.with_name(f"{path.stem}-access{path.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="qa_engine.ledger:LedgerSQLiteFactory",
            SQLITE_DBNAME=str(path),
            SQLITE_LOCK_TIMEOUT="10",
        )
        env[ENV_LOCATION] = f"sqlite:{path.resolve()}"
    else:
        env.update(
            PERSISTENCE_MODULE="qa_engine.ledger:LedgerPostgresFactory",
            POSTGRES_DBNAME=settings.postgres_db,
            POSTGRES_HOST=settings.postgres_host,
            POSTGRES_PORT=str(settings.postgres_port),
            POSTGRES_USER=settings.postgres_user,
            POSTGRES_PASSWORD=settings.postgres_password.get_secret_value(),
            POSTGRES_POOL_SIZE=str(settings.postgres_pool_size),
            POSTGRES_LOCK_TIMEOUT="10",
        )
        if settings.postgres_schema:
            env["POSTGRES_SCHEMA"] = settings.postgres_schema
        env[ENV_LOCATION] = (
            f"postgres://{settings.postgres_host}:{settings.postgres_port}/"
            f"{settings.postgres_db}?schema={settings.postgres_schema or 'public'}&store={store}"
        )
    return env
