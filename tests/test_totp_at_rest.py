"""TOTP secrets are encrypted at rest (AES-GCM), and secrets that earlier releases
stored in clear are sealed when the store next opens, and still sign in."""

from __future__ import annotations

import base64
import secrets as random
import sqlite3
from pathlib import Path

import pyotp
import pytest

from domain.errors import DomainError
from domain.tenancy import Role
from qa_engine.accounts import AccountStore
from tests.conftest import sqlite_settings

PASSWORD = "correct horse battery staple"


def test_a_totp_secret_is_stored_sealed_and_still_signs_in(tmp_path: Path) -> None:
    store = AccountStore(sqlite_settings(tmp_path))
    secret = store.add_account(
        username="alex",
        name="Alex Morgan",
        partnership="GSCP",
        roles=(Role.BUSINESS_MANAGER,),
        password=PASSWORD,
    )
    stored = store.stored_totp_secret("alex")
    assert stored is not None and stored.startswith("aes1:")
    assert secret not in stored
    raw = (tmp_path / "events.sqlite3").read_bytes()
    assert secret.encode() not in raw
    account = store.sign_in("alex", PASSWORD, pyotp.TOTP(secret).now())
    assert account.username == "alex"
    store.close()


def test_a_secret_stored_in_clear_by_an_earlier_release_is_sealed_and_signs_in(
    tmp_path: Path,
) -> None:
    settings = sqlite_settings(tmp_path)
    store = AccountStore(settings)
    secret = store.add_account(
        username="chris",
        name="Chris Lane",
        partnership="GSCP",
        roles=(Role.AGENCY_LEAD,),
        agencies=("POLICE",),
        password=PASSWORD,
    )
    store.close()
    # what the release before encryption wrote: the base32 secret itself
    with sqlite3.connect(settings.sqlite_file) as conn:
        conn.execute("UPDATE qa_accounts SET totp_secret = ? WHERE username = 'chris'", (secret,))
    reopened = AccountStore(settings)
    stored = reopened.stored_totp_secret("chris")
    assert stored is not None and stored.startswith("aes1:") and secret not in stored
    assert reopened.sign_in("chris", PASSWORD, pyotp.TOTP(secret).now()).username == "chris"
    reopened.close()


def test_another_key_cannot_open_the_secrets(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path)
    store = AccountStore(settings)
    store.add_account(
        username="alex",
        name="Alex Morgan",
        partnership="GSCP",
        roles=(Role.BUSINESS_MANAGER,),
        password=PASSWORD,
    )
    store.close()
    other = sqlite_settings(
        tmp_path, accounts_key=base64.b64encode(random.token_bytes(32)).decode()
    )
    thief = AccountStore(other)
    with pytest.raises(DomainError) as refused:
        thief.sign_in("alex", PASSWORD, "123456")
    assert refused.value.rule == "accounts_key_matches"
    thief.close()
