"""Sign-in of the HTTP API: password + TOTP, session cookie with CSRF, sign-out,
lockout, bearer tokens; accounts stored on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from domain.tenancy import Role
from qa_engine.accounts import AccountStore, SignInRefused
from qa_engine.config import Settings
from tests.web_support import PASSWORD, Web, web_app  # noqa: F401

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _code(secret: str, at: datetime | None = None) -> str:
    totp = pyotp.TOTP(secret)
    return totp.at(at) if at is not None else totp.now()


async def test_a_browser_signs_in_acts_with_its_csrf_token_and_signs_out(web: Web) -> None:
    form = await web.http.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None and web.http.cookies.get("qa_csrf") == token.group(1)

    fields = {"username": "manager", "password": PASSWORD, "csrf_token": token.group(1)}
    wrong = await web.http.post("/sign-in", data={**fields, "code": "000000"})
    assert wrong.status_code == 401 and wrong.json()["rule"] == "valid_credentials"
    stale = await web.http.post(
        "/sign-in", data={**fields, "csrf_token": "forged", "code": _code(web.secrets["manager"])}
    )
    assert stale.status_code == 403 and stale.json()["rule"] == "csrf_token"

    ok = await web.http.post("/sign-in", data={**fields, "code": _code(web.secrets["manager"])})
    assert ok.status_code == 303 and ok.headers["location"] == "/me"
    cookie = ok.headers["set-cookie"].lower()
    assert "qa_session=" in cookie and "httponly" in cookie and "secure" in cookie
    assert "samesite=strict" in cookie

    me = await web.http.get("/me")
    assert me.status_code == 200 and me.json()["subject"] == "local:manager"
    csrf = me.json()["csrf_token"]
    assert csrf

    # a write signed in by the cookie needs the session's CSRF token; without it, nothing
    body = {
        "case_ref": "GSCP-2025-007",
        "incident_on": "2025-04-10",
        "aware_on": "2025-04-11",
        "child_refs": ["C-10001"],
        "abuse_or_neglect": True,
        "harm": "died",
    }
    before = web.recorded()
    refused = await web.http.post("/partnerships/GSCP/reviews", json=body)
    assert refused.status_code == 403 and refused.json()["rule"] == "csrf_token"
    assert web.recorded() == before
    done = await web.http.post(
        "/partnerships/GSCP/reviews", json=body, headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 201, done.text

    out = await web.http.post("/sign-out", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 303
    web.http.cookies.clear()
    # the old session id no longer works even if someone kept it
    web.http.cookies.set("qa_session", ok.cookies["qa_session"], domain="testserver")
    after = await web.http.get("/me")
    assert after.status_code == 401 and after.headers["www-authenticate"].startswith("Bearer")


async def test_an_api_client_gets_a_bearer_token_and_can_revoke_it(web: Web) -> None:
    r = await web.http.post(
        "/tokens",
        json={"username": "police", "password": PASSWORD, "code": _code(web.secrets["police"])},
    )
    assert r.status_code == 201, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = await web.http.get("/me", headers=headers)
    assert me.json()["roles"] == ["agency safeguarding lead"] and me.json()["agencies"] == [
        "POLICE"
    ]
    assert me.json()["csrf_token"] is None
    # a bearer write needs no CSRF token (no cookie: no ambient authority)
    out = await web.http.post("/sign-out", headers=headers)
    assert out.status_code == 303
    gone = await web.http.get("/me", headers=headers)
    assert gone.status_code == 401
    junk = await web.http.get("/me", headers={"Authorization": "Bearer not-a-token"})
    assert junk.status_code == 401 and junk.json()["rule"] == "signed_in"


def _store(settings: Settings) -> AccountStore:
    store = AccountStore(settings)
    store.add_account(
        username="Chair",
        name="Jo Bennett",
        partnership="gscp",
        roles=(Role.RAPID_REVIEW_CHAIR,),
        password=PASSWORD,
        totp_secret=pyotp.random_base32(),
    )
    return store


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    settings: Settings,
) -> None:
    store = _store(settings)
    try:
        secret = store.add_account(
            username="chair",
            name="Jo Bennett",
            partnership="GSCP",
            roles=(Role.RAPID_REVIEW_CHAIR,),
            password=PASSWORD,
        )
        for i in range(settings.web_lockout_failures - 1):
            with pytest.raises(SignInRefused) as e:
                store.sign_in("chair", "wrong password!", _code(secret, T0), now=T0)
            assert e.value.rule == "valid_credentials", i
        with pytest.raises(SignInRefused) as e:
            store.sign_in("chair", "wrong password!", _code(secret, T0), now=T0)
        assert e.value.rule == "account_locked"
        later = T0 + timedelta(minutes=1)
        with pytest.raises(SignInRefused) as e:
            store.sign_in("chair", PASSWORD, _code(secret, later), now=later)
        assert e.value.rule == "account_locked"
        unlocked = T0 + timedelta(minutes=settings.web_lockout_minutes, seconds=30)
        account = store.sign_in("CHAIR", PASSWORD, _code(secret, unlocked), now=unlocked)
        assert account.principal().actor().subject == "local:chair"
        # a code is accepted once: the same code again is refused
        with pytest.raises(SignInRefused) as e:
            store.sign_in("chair", PASSWORD, _code(secret, unlocked), now=unlocked)
        assert e.value.rule == "valid_credentials"
        # an unknown account is refused in the same words
        with pytest.raises(SignInRefused) as e:
            store.sign_in("nobody", PASSWORD, "123456", now=unlocked)
        assert e.value.rule == "valid_credentials"
    finally:
        store.close()


def test_sessions_expire_and_only_hashes_are_stored(settings: Settings) -> None:
    store = _store(settings)
    try:
        account = store.account("chair")
        assert account is not None and account.partnership == "GSCP"
        session, csrf = store.start_session(account, now=T0)
        assert store.resolve(session, "session", now=T0 + timedelta(minutes=5)) == (
            account,
            csrf,
        )
        assert store.resolve(session, "token", now=T0) is None  # a session is not a token
        expired = T0 + timedelta(minutes=settings.web_session_minutes + 1)
        assert store.resolve(session, "session", now=expired) is None
        with store._tx() as cur:
            stored = [
                r[0] for r in cur.execute(store._q("SELECT id_hash FROM {p}qa_sessions")).fetchall()
            ]
        assert session not in stored and len(stored) == 1 and len(stored[0]) == 64
    finally:
        store.close()
