"""OpenID Connect sign-in against a real provider process (panva's oidc-provider):
the code + PKCE flow over HTTP, refused states, nonces, audiences and issuers, and a
provider's bearer token acting on the API. A refusal records nothing."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlparse, urlunparse

import httpx
import pytest
from fastapi.concurrency import run_in_threadpool
from joserfc import jwt
from joserfc.jwk import RSAKey
from temporalio.testing import WorkflowEnvironment

from qa_engine.accounts import AccountStore
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.web.app import create_app
from tests.conftest import sqlite_settings
from tests.oidc_support import (
    API,
    OTHER_API,
    PEOPLE,
    REDIRECT,
    SIGNED_OUT,
    STRANGER,
    STRANGER_SECRET,
    WEB_CLIENT,
    WEB_SECRET,
    Provider,
    provider,
    sign_in_at_provider,
    start_provider,
    stop_provider,
)
from tests.web_support import Web, add_people, report_body
from workers.main import build_worker

__all__ = ["provider"]  # the module-scoped fixture, imported for this module's tests


def oidc_settings(tmp_path: Path, issuer: str, **kw: object) -> Settings:
    return sqlite_settings(
        tmp_path,
        oidc_issuer=issuer,
        oidc_client_id=WEB_CLIENT,
        oidc_client_secret=WEB_SECRET,
        oidc_redirect_url=REDIRECT,
        oidc_scopes="openid profile qa",
        oidc_api_audience=API["audience"],
        **kw,
    )


@pytest.fixture
async def app_http(
    provider: Provider, settings: Settings, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with OIDC configured, without Temporal (sign-in needs none), its
    sessions and held sign-ins on SQLite and on PostgreSQL."""
    oidc = oidc_settings(tmp_path, provider.issuer)
    settings = settings.model_copy(
        update={k: getattr(oidc, k) for k in Settings.model_fields if k.startswith("oidc_")}
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        ) as http,
    ):
        yield http


async def _authorization_url(http: httpx.AsyncClient) -> str:
    r = await http.get("/oidc/sign-in")
    assert r.status_code == 303, r.text
    assert "qa_oidc_state" in r.headers["set-cookie"]
    assert "samesite=lax" in r.headers["set-cookie"].lower()
    return r.headers["location"]


def _callback_path(location: str) -> str:
    parsed = urlparse(location)
    return f"{parsed.path}?{parsed.query}"


async def test_a_person_signs_in_by_code_and_pkce_and_becomes_a_principal(
    app_http: httpx.AsyncClient, provider: Provider
) -> None:
    url = await _authorization_url(app_http)
    query = parse_qs(urlparse(url).query)
    assert url.startswith(provider.issuer)
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [WEB_CLIENT] and query["nonce"] and query["state"]

    back = await run_in_threadpool(sign_in_at_provider, url, "chris", PEOPLE["chris"][0])
    r = await app_http.get(_callback_path(back))
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"].lower()
    assert "qa_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie

    me = (await app_http.get("/me")).json()
    assert me["name"] == "Chris Lane"
    assert me["partnership"] == "GSCP"
    assert me["roles"] == ["agency safeguarding lead"]
    assert me["agencies"] == ["POLICE"]
    assert me["subject"] == f"oidc:{provider.issuer}#chris"
    assert me["csrf_token"]

    # the same state cannot be used twice (a replayed callback)
    again = await app_http.get(_callback_path(back))
    assert again.status_code == 401
    assert again.json()["rule"] in ("state_matches", "state_held")

    # sign-out ends the session at once
    out = await app_http.post("/sign-out", headers={"X-CSRF-Token": me["csrf_token"]})
    assert out.status_code == 303
    assert (await app_http.get("/me")).status_code == 401


def _provider_session_alive(browser: httpx.Client, authorization_url: str) -> bool:
    """Ask the provider with ``prompt=none`` in ``browser``: a code back means the
    person is still signed in there; ``login_required`` means they are not."""
    parsed = urlparse(authorization_url)
    query = parse_qs(parsed.query)
    query["prompt"] = ["none"]
    location = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
    while not location.startswith(REDIRECT):
        r = browser.get(location)
        assert r.status_code in (302, 303), r.text
        location = urljoin(location, r.headers["location"])
    answer = parse_qs(urlparse(location).query)
    assert "code" in answer or answer.get("error") == ["login_required"], answer
    return "code" in answer


async def test_sign_out_ends_the_session_at_the_provider_too(
    app_http: httpx.AsyncClient, provider: Provider
) -> None:
    """RP-initiated logout: sign-out sends the browser to the provider's
    end_session_endpoint (from discovery) with the ID token as hint and the registered
    post-logout address; the provider ends its own session and sends it back."""
    with httpx.Client(timeout=10) as browser:  # the person's browser at the provider
        url = await _authorization_url(app_http)
        back = await run_in_threadpool(sign_in_at_provider, url, "alex", PEOPLE["alex"][0], browser)
        r = await app_http.get(_callback_path(back))
        assert r.status_code == 200, r.text
        csrf = (await app_http.get("/me")).json()["csrf_token"]
        assert await run_in_threadpool(_provider_session_alive, browser, url)

        out = await app_http.post("/sign-out", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 303
        assert (await app_http.get("/me")).status_code == 401  # ours ended at once
        end = urlparse(out.headers["location"])
        discovery = httpx.get(f"{provider.issuer}/.well-known/openid-configuration").json()
        assert out.headers["location"].startswith(discovery["end_session_endpoint"] + "?")
        query = parse_qs(end.query)
        assert query["post_logout_redirect_uri"] == [SIGNED_OUT]
        assert query["client_id"] == [WEB_CLIENT]
        hint = _claims_unverified(query["id_token_hint"][0])
        assert hint["sub"] == "alex" and hint["aud"] == WEB_CLIENT

        # the provider asks the person to confirm, ends its session, sends them back
        page = browser.get(out.headers["location"])
        assert page.status_code == 200, page.text
        action = re.search(r'action="([^"]+)"', page.text)
        xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
        assert action is not None and xsrf is not None, page.text
        done = browser.post(
            urljoin(out.headers["location"], action.group(1)),
            data={"xsrf": xsrf.group(1), "logout": "yes"},
        )
        assert done.status_code in (302, 303), done.text
        assert done.headers["location"] == SIGNED_OUT
        assert not await run_in_threadpool(_provider_session_alive, browser, url)


async def test_a_callback_whose_state_is_not_this_browsers_is_refused(
    app_http: httpx.AsyncClient, provider: Provider
) -> None:
    url = await _authorization_url(app_http)
    back = await run_in_threadpool(sign_in_at_provider, url, "alex", PEOPLE["alex"][0])
    parsed = urlparse(back)
    query = parse_qs(parsed.query)
    query["state"] = ["forged-state"]
    forged = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
    r = await app_http.get(_callback_path(forged))
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["rule"] == "state_matches" and r.json()["field"] == "state"
    assert (await app_http.get("/me")).status_code == 401

    # another browser (no state cookie) bringing the genuine callback is refused too
    async with httpx.AsyncClient(
        transport=app_http._transport, base_url="https://testserver"
    ) as other:
        r = await other.get(_callback_path(back))
        assert r.status_code == 401 and r.json()["rule"] == "state_matches"


async def test_an_id_token_with_another_nonce_is_refused(
    app_http: httpx.AsyncClient, provider: Provider
) -> None:
    url = await _authorization_url(app_http)
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    query["nonce"] = ["a-nonce-the-app-never-sent"]
    tampered = urlunparse(parsed._replace(query=urlencode(query, doseq=True)))
    back = await run_in_threadpool(sign_in_at_provider, tampered, "alex", PEOPLE["alex"][0])
    r = await app_http.get(_callback_path(back))
    assert r.status_code == 401
    assert r.json()["rule"] == "nonce_matches"
    assert (await app_http.get("/me")).status_code == 401


async def test_an_identity_without_a_role_is_refused_naming_the_claim(
    app_http: httpx.AsyncClient, provider: Provider
) -> None:
    url = await _authorization_url(app_http)
    back = await run_in_threadpool(sign_in_at_provider, url, "norole", PEOPLE["norole"][0])
    r = await app_http.get(_callback_path(back))
    assert r.status_code == 401
    assert r.json()["rule"] == "role_claim" and r.json()["field"] == "qa_roles"


@pytest.fixture
async def oidc_web(
    provider: Provider, ts_env: WorkflowEnvironment, tmp_path: Path, executor: ThreadPoolExecutor
) -> AsyncIterator[Web]:
    queue = f"oidc-{uuid.uuid4().hex[:8]}"
    settings = oidc_settings(tmp_path, provider.issuer, temporal_task_queue=queue)
    services = bootstrap(settings)
    accounts = AccountStore(settings)
    secrets = add_people(accounts)
    worker = build_worker(ts_env.client, task_queue=queue, services=services, executor=executor)
    async with worker:
        app = create_app(settings, client=ts_env.client, services=services, accounts=accounts)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield Web(app, http, services, accounts, settings, secrets)
    accounts.close()
    services.close()


@pytest.fixture(scope="module")
def other_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    started = start_provider(tmp_path_factory.mktemp("oidc-other"))
    yield started
    stop_provider(started)


async def test_a_provider_bearer_token_acts_on_the_api_and_bad_tokens_record_nothing(
    oidc_web: Web, provider: Provider, other_provider: Provider
) -> None:
    web = oidc_web
    good = await run_in_threadpool(provider.client_token)
    before = web.recorded()

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    # refused: another audience, another issuer, a forged signature, another partnership
    other_audience = await run_in_threadpool(
        lambda: provider.client_token(resource=OTHER_API["resource"])
    )
    other_issuer = await run_in_threadpool(other_provider.client_token)
    claims = _claims_unverified(good)
    forged = jwt.encode({"alg": "RS256"}, claims, RSAKey.generate_key(2048))
    stranger = await run_in_threadpool(
        lambda: provider.client_token(client=STRANGER, secret=STRANGER_SECRET)
    )
    refusals = {
        "aud_valid": other_audience,
        "iss_valid": other_issuer,
        "signature_valid": forged,
    }
    for rule, token in refusals.items():
        r = await web.http.post(
            "/partnerships/GSCP/reviews", json=report_body("GSCP-2025-201"), headers=bearer(token)
        )
        assert r.status_code == 401, (rule, r.text)
        assert r.json()["rule"] == rule, r.json()
    r = await web.http.post(
        "/partnerships/GSCP/reviews", json=report_body("GSCP-2025-201"), headers=bearer(stranger)
    )
    assert r.status_code == 403, r.text
    assert web.recorded() == before

    # the good token: the robot is recorded as the actor, by its provider subject
    r = await web.http.post(
        "/partnerships/GSCP/reviews", json=report_body("GSCP-2025-201"), headers=bearer(good)
    )
    assert r.status_code == 201, r.text
    me = (await web.http.get("/me", headers=bearer(good))).json()
    assert me["subject"].endswith("#qa-engine-robot") and me["name"] == "Case system robot"
    trail = await web.http.get(
        "/partnerships/GSCP/reviews/GSCP-2025-201/trail", headers=bearer(good)
    )
    assert trail.status_code == 200, trail.text
    assert "Case system robot" in trail.text

    # local accounts keep working beside the provider
    assert (await web.http.get("/me", headers=web.as_("police"))).status_code == 200


def _claims_unverified(token: str) -> dict[str, object]:
    """A token's claims, read without checking it (to forge a copy in the test)."""
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


async def test_an_expired_provider_token_is_refused(tmp_path: Path) -> None:
    short = start_provider(tmp_path, access_token_ttl=4)
    try:
        app = create_app(oidc_settings(tmp_path, short.issuer, oidc_leeway_seconds=0))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="https://testserver"
            ) as http,
        ):
            token = await run_in_threadpool(short.client_token)
            fresh = await http.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert fresh.status_code == 200, fresh.text
            expires = int(str(_claims_unverified(token)["exp"]))
            await asyncio.sleep(max(0.0, expires - time.time() + 1.1))
            stale = await http.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert stale.status_code == 401
            assert stale.json()["rule"] == "exp_valid", stale.json()
    finally:
        stop_provider(short)
