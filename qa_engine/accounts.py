"""Local accounts: the embedded sign-in of the HTTP API.

People sign in with a password (argon2id hash) and a TOTP second factor; a
signed-in browser holds a session, an API client a bearer token. Accounts,
sessions, tokens and idempotent results live in tables of the store's database
(the event store's SQLite file, or its PostgreSQL schema), beside the events but
never in them: they are not records of a case.

Only hashes of session ids and bearer tokens are stored, so a copy of the table
cannot be replayed as a sign-in. Repeated failures lock the account for a while;
a TOTP code is accepted once.

An OpenID Connect provider is the production sign-in; it resolves the same
``Principal`` and needs none of this but the idempotency table.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

from domain.errors import DomainError
from domain.tenancy import Principal, Role
from qa_engine.config import Settings
from qa_engine.ledger import load_or_create_key

__all__ = ["Account", "AccountStore", "Remembered", "SecretBox", "SignInRefused"]


class SignInRefused(DomainError):
    """Sign-in refused: wrong credentials, a wrong second factor, or a locked account."""


class Account(BaseModel):
    """A local account, as much of it as leaves the store (never its secrets)."""

    username: str
    name: str
    partnership: str
    roles: tuple[Role, ...]
    agencies: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        return f"local:{self.username}"

    def principal(self) -> Principal:
        return Principal(
            subject=self.subject,
            name=self.name,
            partnership=self.partnership,
            roles=self.roles,
            agencies=self.agencies,
        )


class Remembered(BaseModel):
    """The answer given to an earlier request with the same idempotency key."""

    request_hash: str
    status: int
    body: str


_TABLES = (
    "CREATE TABLE IF NOT EXISTS {p}qa_accounts ("
    " username TEXT PRIMARY KEY, name TEXT NOT NULL, partnership TEXT NOT NULL,"
    " roles TEXT NOT NULL, agencies TEXT NOT NULL, password_hash TEXT NOT NULL,"
    " totp_secret TEXT NOT NULL, totp_last BIGINT NOT NULL DEFAULT 0,"
    " failures INTEGER NOT NULL DEFAULT 0, locked_until TEXT)",
    "CREATE TABLE IF NOT EXISTS {p}qa_sessions ("
    " id_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,"
    " kind TEXT NOT NULL, expires_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}qa_principal_sessions ("
    " id_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, csrf TEXT NOT NULL,"
    " expires_at TEXT NOT NULL)",
    # the provider's ID token of an OIDC session (sealed), sent back as the hint at
    # sign-out; a table of its own so earlier sessions tables need no change
    "CREATE TABLE IF NOT EXISTS {p}qa_principal_session_hints ("
    " id_hash TEXT PRIMARY KEY, id_token TEXT NOT NULL, expires_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}qa_oidc_pending ("
    " state_hash TEXT PRIMARY KEY, nonce TEXT NOT NULL, verifier TEXT NOT NULL,"
    " expires_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {p}qa_idempotency ("
    " owner TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,"
    " status INTEGER NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL,"
    " PRIMARY KEY (owner, key))",
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


class AccountStore:
    """Accounts, sessions, bearer tokens and idempotent results over SQLite or PostgreSQL."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._hasher = PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_hex(16))
        self._lock = threading.Lock()
        self._pool: Any = None
        if settings.store == "sqlite":
            self._path = settings.sqlite_file
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._prefix = ""
        else:
            from psycopg_pool import ConnectionPool

            schema = settings.postgres_schema
            self._prefix = f'"{schema}".' if schema else ""
            self._pool = ConnectionPool(
                kwargs={
                    "host": settings.postgres_host,
                    "port": settings.postgres_port,
                    "dbname": settings.postgres_db,
                    "user": settings.postgres_user,
                    "password": settings.postgres_password.get_secret_value(),
                },
                min_size=1,
                max_size=2,
                open=True,
            )
        self._secrets = SecretBox(_accounts_key(settings))
        with self._tx() as cur:
            for sql in _TABLES:
                cur.execute(sql.format(p=self._prefix))
        self._seal_plaintext_secrets()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    # ---------------------------------------------------------------- storage

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        """One transaction; ``?`` placeholders on both databases."""
        if self._pool is None:
            conn = sqlite3.connect(self._path, timeout=10)
            try:
                with conn:
                    yield conn.cursor()
            finally:
                conn.close()
            return
        with self._pool.connection() as pg, pg.transaction():
            yield _PgCursor(pg.cursor())

    def _q(self, sql: str) -> str:
        return sql.format(p=self._prefix)

    # ---------------------------------------------------------------- accounts

    def add_account(
        self,
        *,
        username: str,
        name: str,
        partnership: str,
        roles: Sequence[Role],
        agencies: Sequence[str] = (),
        password: str,
        totp_secret: str | None = None,
    ) -> str:
        """Create (or replace) an account; returns its TOTP secret (base32)."""
        account = Account(
            username=username.strip().lower(),
            name=name,
            partnership=partnership.upper(),
            roles=tuple(roles),
            agencies=tuple(a.upper() for a in agencies),
        )
        account.principal()  # the same rules as every principal (name, codes, roles)
        if len(password) < 12:
            raise DomainError(
                "a password has at least 12 characters", field="password", rule="min_length"
            )
        secret = totp_secret or pyotp.random_base32()
        with self._tx() as cur:
            cur.execute(
                self._q("DELETE FROM {p}qa_accounts WHERE username = ?"), (account.username,)
            )
            cur.execute(
                self._q(
                    "INSERT INTO {p}qa_accounts (username, name, partnership, roles, agencies,"
                    " password_hash, totp_secret) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    account.username,
                    account.name,
                    account.partnership,
                    "|".join(r.value for r in account.roles),
                    "|".join(account.agencies),
                    self._hasher.hash(password),
                    self._secrets.seal(secret),
                ),
            )
        return secret

    def account(self, username: str) -> Account | None:
        with self._tx() as cur:
            row = cur.execute(
                self._q(
                    "SELECT username, name, partnership, roles, agencies"
                    " FROM {p}qa_accounts WHERE username = ?"
                ),
                (username.strip().lower(),),
            ).fetchone()
        return None if row is None else _account(row)

    def sign_in(
        self, username: str, password: str, code: str, *, now: datetime | None = None
    ) -> Account:
        """The account, if the password and the TOTP code are right and it is not locked.

        Every refusal counts towards the lockout; the message never says which part
        was wrong, nor whether the account exists."""
        at = _now(now)
        refused = SignInRefused(
            "the username, password or security code is not right",
            field="credentials",
            rule="valid_credentials",
        )
        # The outcome is decided inside the transaction and raised after it commits:
        # raising inside would roll back the count of failures.
        outcome: Account | SignInRefused = refused
        with self._lock, self._tx() as cur:
            row = cur.execute(
                self._q(
                    "SELECT username, name, partnership, roles, agencies, password_hash,"
                    " totp_secret, totp_last, failures, locked_until"
                    " FROM {p}qa_accounts WHERE username = ?"
                ),
                (username.strip().lower(),),
            ).fetchone()
            if row is None:
                _verify(self._hasher, self._dummy, password)  # the same work either way
            else:
                outcome = self._check(cur, row, password, code, at, refused)
        if isinstance(outcome, SignInRefused):
            raise outcome
        return outcome

    def _check(
        self,
        cur: Any,
        row: Sequence[Any],
        password: str,
        code: str,
        at: datetime,
        refused: SignInRefused,
    ) -> Account | SignInRefused:
        locked_until = datetime.fromisoformat(row[9]) if row[9] else None
        if locked_until is not None and locked_until > at:
            return SignInRefused(
                "this account is locked after repeated failed sign-ins; try again later",
                field="username",
                rule="account_locked",
            )
        counter = _totp_counter(self._secrets.open(row[6]), code, at)
        if not _verify(self._hasher, row[5], password) or counter is None or counter <= row[7]:
            failures = row[8] + 1
            lock = None
            if failures >= self.settings.web_lockout_failures:
                lock = (at + timedelta(minutes=self.settings.web_lockout_minutes)).isoformat()
                failures = 0
            cur.execute(
                self._q(
                    "UPDATE {p}qa_accounts SET failures = ?, locked_until = ? WHERE username = ?"
                ),
                (failures, lock, row[0]),
            )
            if lock is not None:
                return SignInRefused(
                    "too many failed sign-ins: this account is locked for "
                    f"{self.settings.web_lockout_minutes} minutes",
                    field="username",
                    rule="account_locked",
                )
            return refused
        cur.execute(
            self._q(
                "UPDATE {p}qa_accounts SET failures = 0, locked_until = NULL, totp_last = ?"
                " WHERE username = ?"
            ),
            (counter, row[0]),
        )
        return _account(row)

    # ------------------------------------------------- sessions and bearer tokens

    def start_session(self, account: Account, *, now: datetime | None = None) -> tuple[str, str]:
        """A browser session: ``(session id, CSRF token)``; only the id's hash is stored."""
        ttl = timedelta(minutes=self.settings.web_session_minutes)
        return self._grant(account, "session", _now(now) + ttl)

    def issue_token(self, account: Account, *, now: datetime | None = None) -> tuple[str, datetime]:
        """A bearer token for an API client, and when it expires."""
        expires = _now(now) + timedelta(days=self.settings.web_token_days)
        token, _ = self._grant(account, "token", expires)
        return token, expires

    def _grant(self, account: Account, kind: str, expires: datetime) -> tuple[str, str]:
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "INSERT INTO {p}qa_sessions (id_hash, username, csrf, kind, expires_at)"
                    " VALUES (?, ?, ?, ?, ?)"
                ),
                (_hash(secret), account.username, csrf, kind, expires.isoformat()),
            )
        return secret, csrf

    def resolve(
        self, secret: str, kind: str, *, now: datetime | None = None
    ) -> tuple[Account, str] | None:
        """The account behind a session id or bearer token (and its CSRF token)."""
        with self._tx() as cur:
            row = cur.execute(
                self._q(
                    "SELECT a.username, a.name, a.partnership, a.roles, a.agencies,"
                    " s.csrf, s.expires_at FROM {p}qa_sessions s"
                    " JOIN {p}qa_accounts a ON a.username = s.username"
                    " WHERE s.id_hash = ? AND s.kind = ?"
                ),
                (_hash(secret), kind),
            ).fetchone()
        if row is None or datetime.fromisoformat(row[6]) <= _now(now):
            return None
        return _account(row), row[5]

    def end(self, secret: str) -> None:
        """Sign out (or revoke a token): the id stops working at once."""
        with self._tx() as cur:
            cur.execute(self._q("DELETE FROM {p}qa_sessions WHERE id_hash = ?"), (_hash(secret),))
            cur.execute(
                self._q("DELETE FROM {p}qa_principal_sessions WHERE id_hash = ?"), (_hash(secret),)
            )
            cur.execute(
                self._q("DELETE FROM {p}qa_principal_session_hints WHERE id_hash = ?"),
                (_hash(secret),),
            )

    # ----------------------------------- sessions of people signed in elsewhere (OIDC)

    def start_principal_session(
        self, principal: Principal, *, id_token: str | None = None, now: datetime | None = None
    ) -> tuple[str, str]:
        """A browser session for a principal an identity provider vouched for:
        ``(session id, CSRF token)``; only the id's hash is stored. ``id_token``: the
        provider's ID token, kept sealed to end the provider's session at sign-out."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = _now(now) + timedelta(minutes=self.settings.web_session_minutes)
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "INSERT INTO {p}qa_principal_sessions (id_hash, principal, csrf, expires_at)"
                    " VALUES (?, ?, ?, ?)"
                ),
                (_hash(secret), principal.model_dump_json(), csrf, expires.isoformat()),
            )
            if id_token:
                cur.execute(
                    self._q(
                        "INSERT INTO {p}qa_principal_session_hints (id_hash, id_token, expires_at)"
                        " VALUES (?, ?, ?)"
                    ),
                    (_hash(secret), self._secrets.seal(id_token), expires.isoformat()),
                )
        return secret, csrf

    def id_token_of(self, secret: str) -> str | None:
        """The provider's ID token of the OIDC session ``secret`` (None: none kept)."""
        with self._tx() as cur:
            row = cur.execute(
                self._q("SELECT id_token FROM {p}qa_principal_session_hints WHERE id_hash = ?"),
                (_hash(secret),),
            ).fetchone()
        return None if row is None else self._secrets.open(row[0])

    def resolve_principal_session(
        self, secret: str, *, now: datetime | None = None
    ) -> tuple[Principal, str] | None:
        with self._tx() as cur:
            row = cur.execute(
                self._q(
                    "SELECT principal, csrf, expires_at FROM {p}qa_principal_sessions"
                    " WHERE id_hash = ?"
                ),
                (_hash(secret),),
            ).fetchone()
        if row is None or datetime.fromisoformat(row[2]) <= _now(now):
            return None
        return Principal.model_validate_json(row[0]), row[1]

    def hold_login(
        self,
        state: str,
        nonce: str,
        verifier: str,
        *,
        minutes: int = 10,
        now: datetime | None = None,
    ) -> None:
        """Remember a sign-in sent to the identity provider (by its state's hash)."""
        expires = _now(now) + timedelta(minutes=minutes)
        with self._tx() as cur:
            cur.execute(
                self._q("DELETE FROM {p}qa_oidc_pending WHERE expires_at < ?"),
                (_now(now).isoformat(),),
            )
            cur.execute(
                self._q(
                    "INSERT INTO {p}qa_oidc_pending (state_hash, nonce, verifier, expires_at)"
                    " VALUES (?, ?, ?, ?)"
                ),
                (_hash(state), nonce, verifier, expires.isoformat()),
            )

    def take_login(self, state: str, *, now: datetime | None = None) -> tuple[str, str] | None:
        """The ``(nonce, PKCE verifier)`` of a held sign-in, once: it is forgotten here."""
        with self._tx() as cur:
            row = cur.execute(
                self._q(
                    "SELECT nonce, verifier, expires_at FROM {p}qa_oidc_pending"
                    " WHERE state_hash = ?"
                ),
                (_hash(state),),
            ).fetchone()
            cur.execute(
                self._q("DELETE FROM {p}qa_oidc_pending WHERE state_hash = ?"), (_hash(state),)
            )
        if row is None or datetime.fromisoformat(row[2]) <= _now(now):
            return None
        return row[0], row[1]

    # ------------------------------------------------------------ TOTP at rest

    def _seal_plaintext_secrets(self) -> None:
        """Encrypt TOTP secrets stored in clear by releases before encryption (once)."""
        with self._lock, self._tx() as cur:
            rows = cur.execute(
                self._q("SELECT username, totp_secret FROM {p}qa_accounts")
            ).fetchall()
            for username, stored in rows:
                if not SecretBox.is_sealed(stored):
                    cur.execute(
                        self._q("UPDATE {p}qa_accounts SET totp_secret = ? WHERE username = ?"),
                        (self._secrets.seal(stored), username),
                    )

    def stored_totp_secret(self, username: str) -> str | None:
        """The TOTP secret exactly as stored (sealed), for checks and operators."""
        with self._tx() as cur:
            row = cur.execute(
                self._q("SELECT totp_secret FROM {p}qa_accounts WHERE username = ?"),
                (username.strip().lower(),),
            ).fetchone()
        return None if row is None else str(row[0])

    # ------------------------------------------------------------ idempotency

    def remembered(self, owner: str, key: str) -> Remembered | None:
        with self._tx() as cur:
            row = cur.execute(
                self._q(
                    "SELECT request_hash, status, body FROM {p}qa_idempotency"
                    " WHERE owner = ? AND key = ?"
                ),
                (_hash(owner), key),
            ).fetchone()
        return None if row is None else Remembered(request_hash=row[0], status=row[1], body=row[2])

    def remember(self, owner: str, key: str, request_hash: str, status: int, body: str) -> None:
        with self._tx() as cur:
            cur.execute(
                self._q(
                    "INSERT INTO {p}qa_idempotency (owner, key, request_hash, status, body,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
                ),
                (_hash(owner), key, request_hash, status, body, datetime.now(UTC).isoformat()),
            )


class SecretBox:
    """AES-256-GCM for small secrets at rest: ``aes1:<base64 nonce+ciphertext>``.

    The username is not bound in: a sealed secret moved to another row still only opens
    to its own (random) TOTP secret, which is useless without that account's password."""

    PREFIX = "aes1:"

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def is_sealed(cls, stored: str) -> bool:
        return stored.startswith(cls.PREFIX)

    def seal(self, plain: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plain.encode(), self.PREFIX.encode())
        return self.PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, stored: str) -> str:
        if not self.is_sealed(stored):
            return stored  # written before encryption and not yet sealed
        raw = base64.b64decode(stored[len(self.PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], self.PREFIX.encode()).decode()
        except InvalidTag:
            raise DomainError(
                "the accounts key does not open the stored TOTP secrets (was it changed?)",
                field="QA_ACCOUNTS_KEY",
                rule="accounts_key_matches",
            ) from None


def _accounts_key(settings: Settings) -> bytes:
    """``QA_ACCOUNTS_KEY`` (base64, 32 bytes), else one made once in the data directory."""
    configured = settings.accounts_key
    if configured is not None and configured.get_secret_value():
        text = configured.get_secret_value()
    else:
        text = load_or_create_key(
            settings.accounts_key_file,
            make=lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        )
    key = base64.b64decode(text)
    if len(key) != 32:
        raise DomainError(
            "the accounts key must be 32 bytes, base64-encoded",
            field="QA_ACCOUNTS_KEY",
            rule="aes256_key",
        )
    return key


class _PgCursor:
    """A psycopg cursor taking sqlite's ``?`` placeholders."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self.cur.execute(sql.replace("?", "%s"), params)
        return self.cur


def _account(row: Sequence[Any]) -> Account:
    roles = {r.value: r for r in Role}
    return Account(
        username=row[0],
        name=row[1],
        partnership=row[2],
        roles=tuple(roles[r] for r in str(row[3]).split("|") if r in roles),
        agencies=tuple(a for a in str(row[4]).split("|") if a),
    )


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_counter(secret: str, code: str, at: datetime) -> int | None:
    """The time step a code belongs to (this one or either neighbour), else ``None``."""
    code = code.strip().replace(" ", "")
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = int(at.timestamp()) // totp.interval
    for counter in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None
