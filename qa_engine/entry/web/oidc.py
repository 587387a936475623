"""OpenID Connect sign-in: the production door of the HTTP API.

People sign in at the partnership's identity provider (Entra ID, GOV.UK One Login,
Keycloak, any compliant issuer) by the authorization code flow with PKCE (S256):

1. ``GET /oidc/sign-in`` makes a ``state``, a ``nonce`` and a PKCE verifier, holds them
   server-side (by the state's hash, ten minutes, single use), binds the state to the
   browser (cookie ``qa_oidc_state``) and redirects to the issuer's authorization
   endpoint (from its discovery document).
2. ``GET /oidc/callback`` refuses a state that is not this browser's or not held, swaps
   the code (with the verifier and the client secret) for tokens at the token endpoint,
   and validates the ID token: signature against the issuer's JWKS, ``iss``, ``aud``
   (and ``azp``), ``exp``/``iat``, and the held ``nonce``. Its claims become a
   ``Principal`` through the claim mapping of the settings; a browser session starts.

API clients send ``Authorization: Bearer <JWT>`` (an access token of the same issuer):
signature from the JWKS, ``iss``, ``aud`` = ``QA_OIDC_API_AUDIENCE``, ``exp`` checked,
the claims mapped the same way. Every refusal is a 401 naming the rule; nothing is
recorded (the principal never resolves).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode, urlparse, urlunparse

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import ValidationError

from domain.tenancy import Principal, Role
from qa_engine.accounts import AccountStore, SignInRefused
from qa_engine.config import Settings
from qa_engine.entry.web.auth import SESSION_COOKIE, Signed

__all__ = ["STATE_COOKIE", "ClaimMapping", "Issuer", "OidcSignIn", "oidc_router"]

STATE_COOKIE = "qa_oidc_state"
#: signature algorithms accepted from a provider (never "none", never HMAC with a public key)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


def _refused(message: str, rule: str, field: str = "token") -> SignInRefused:
    return SignInRefused(message, field=field, rule=rule)


class Issuer:
    """One identity provider: its discovery document and keys, fetched and cached."""

    def __init__(self, settings: Settings, *, http: httpx.Client | None = None) -> None:
        if not settings.oidc_issuer:
            raise ValueError("QA_OIDC_ISSUER is not set")
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self._http = http or httpx.Client(timeout=10.0)
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_fetched = 0.0

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None:
                url = f"{self.issuer}/.well-known/openid-configuration"
                doc = self._get_json(url)
                if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
                    raise _refused(
                        "the provider's discovery document names another issuer",
                        "issuer_matches",
                        "QA_OIDC_ISSUER",
                    )
                self._discovery = doc
            return self._discovery

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = self._http.get(url)
            answer.raise_for_status()
            doc: dict[str, Any] = answer.json()
        except (httpx.HTTPError, ValueError) as e:
            raise _refused(
                f"the identity provider did not answer ({type(e).__name__})",
                "provider_reachable",
                "QA_OIDC_ISSUER",
            ) from None
        return doc

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys; fetched again (at most every 30 s) for an unknown
        key id, so a key rotation at the provider needs no restart."""
        doc = self.discovery()
        with self._lock:
            stale = refresh and time.monotonic() - self._keys_fetched > 30
            if self._keys is None or stale:
                self._keys = KeySet.import_key_set(self._get_json(doc["jwks_uri"]))  # type: ignore[arg-type]
                self._keys_fetched = time.monotonic()
            return self._keys

    def authorization_url(self, *, state: str, nonce: str, challenge: str) -> str:
        params = {
            "response_type": "code",
            "client_id": self.settings.oidc_client_id,
            "redirect_uri": self.settings.oidc_redirect_url,
            "scope": self.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.discovery()['authorization_endpoint']}?{urlencode(params)}"

    def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for an authorization code (client_secret_basic)."""
        try:
            answer = self._http.post(
                self.discovery()["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": self.settings.oidc_redirect_url,
                    "code_verifier": verifier,
                },
                auth=(
                    self.settings.oidc_client_id,
                    self.settings.oidc_client_secret.get_secret_value(),
                ),
            )
        except httpx.HTTPError as e:
            raise _refused(
                f"the identity provider did not answer ({type(e).__name__})",
                "provider_reachable",
                "QA_OIDC_ISSUER",
            ) from None
        if answer.status_code != 200:
            error = _error_of(answer)
            raise _refused(
                f"the identity provider refused the code ({error})", "code_exchanged", "code"
            )
        tokens: dict[str, Any] = answer.json()
        return tokens

    def verify(self, token: str, *, audience: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a JWT this issuer signed for ``audience``, or ``SignInRefused``."""
        if token.count(".") != 2:
            raise _refused("the token is not a signed JWT", "jwt_signed")
        try:
            decoded = self._decode(token)
        except JoseError as e:
            raise _refused(
                f"the token's signature does not verify ({e.error})", "signature_valid"
            ) from None
        claims: dict[str, Any] = dict(decoded.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=self.settings.oidc_leeway_seconds,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as e:
            claim = getattr(e, "claim", "") or e.error
            raise _refused(
                f"the token's {claim!r} claim is not acceptable ({e.error}: {e.description})",
                f"{claim}_valid",
            ) from None
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != audience:
            raise _refused("the token was issued to another party (azp)", "azp_valid")
        if nonce is not None and not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise _refused("the ID token's nonce is not the one sent", "nonce_matches", "nonce")
        return claims

    def _decode(self, token: str) -> Any:
        try:
            return jwt.decode(token, self.keys(), algorithms=ALGORITHMS)
        except (JoseError, ValueError):
            # perhaps a key the provider rotated in since we fetched: look once more
            return jwt.decode(token, self.keys(refresh=True), algorithms=ALGORITHMS)


def _error_of(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", answer.status_code))
    except ValueError:
        return str(answer.status_code)


@dataclass(frozen=True)
class ClaimMapping:
    """How an identity's claims become a principal (settings ``QA_OIDC_CLAIM_*``,
    ``QA_OIDC_PARTNERSHIP``, ``QA_OIDC_ROLE_MAP``)."""

    name: str
    partnership: str
    roles: str
    agencies: str
    fixed_partnership: str | None
    role_map: Mapping[str, str]

    @classmethod
    def of(cls, settings: Settings) -> ClaimMapping:
        return cls(
            name=settings.oidc_claim_name,
            partnership=settings.oidc_claim_partnership,
            roles=settings.oidc_claim_roles,
            agencies=settings.oidc_claim_agencies,
            fixed_partnership=settings.oidc_partnership,
            role_map=dict(settings.oidc_role_map),
        )

    def principal(self, issuer: str, claims: Mapping[str, Any]) -> Principal:
        """The principal these claims name, or ``SignInRefused`` naming the claim."""
        partnership = self.fixed_partnership or claims.get(self.partnership)
        if not isinstance(partnership, str) or not partnership:
            raise _refused(
                f"the identity carries no partnership (claim {self.partnership!r})",
                "partnership_claim",
                self.partnership,
            )
        roles = tuple(dict.fromkeys(self._role(v) for v in _values(claims.get(self.roles))))
        if not roles:
            raise _refused(
                f"the identity carries no qa-engine role (claim {self.roles!r})",
                "role_claim",
                self.roles,
            )
        name = claims.get(self.name) or claims.get("preferred_username") or claims.get("sub")
        try:
            return Principal(
                subject=f"oidc:{issuer}#{claims['sub']}",
                name=str(name),
                partnership=partnership.upper(),
                roles=roles,
                agencies=tuple(a.upper() for a in _values(claims.get(self.agencies))),
            )
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise _refused(
                f"the identity's {field} is not acceptable: {first['msg']}",
                "principal_valid",
                field,
            ) from None

    def _role(self, value: str) -> Role:
        wanted = self.role_map.get(value, value)
        for role in Role:
            if wanted in (role.value, role.name, role.name.lower()):
                return role
        raise _refused(
            f"the role {value!r} is not a qa-engine role (map it with QA_OIDC_ROLE_MAP)",
            "role_known",
            self.roles,
        )


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split() if v]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


class OidcSignIn:
    """The ``Authenticator`` for bearer JWTs of the issuer and OIDC browser sessions.

    It answers only what is its own (a JWT; a session it started) and leaves the rest
    (local bearer tokens and sessions) to the next authenticator."""

    def __init__(self, issuer: Issuer, accounts: AccountStore, mapping: ClaimMapping) -> None:
        self.issuer = issuer
        self.accounts = accounts
        self.mapping = mapping

    def resolve(self, request: Request) -> Signed | None:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
            if token.count(".") != 2:
                return None  # an opaque local token
            audience = self.issuer.settings.oidc_api_audience
            if not audience:
                raise _refused(
                    "this service takes no provider tokens (QA_OIDC_API_AUDIENCE unset)",
                    "api_audience_configured",
                )
            claims = self.issuer.verify(token, audience=audience)
            return Signed(self.mapping.principal(self.issuer.issuer, claims), "token")
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            found = self.accounts.resolve_principal_session(cookie)
            if found is not None:
                return Signed(found[0], "session", csrf=found[1], secret=cookie)
        return None

    def sign_out_url(self, id_token: str) -> str | None:
        """Where to send the browser to end its session at the provider too (RP-initiated
        logout): the discovery document's ``end_session_endpoint`` with the ID token as
        hint and the registered post-logout address; None when the provider has none."""
        endpoint = self.issuer.discovery().get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        s = self.issuer.settings
        back = s.oidc_post_logout_redirect_url
        if not back and s.oidc_redirect_url:
            parsed = urlparse(s.oidc_redirect_url)
            back = urlunparse(parsed._replace(path="/sign-in", query="", fragment=""))
        params = {"id_token_hint": id_token, "client_id": s.oidc_client_id}
        if back:
            params["post_logout_redirect_uri"] = back
        return f"{endpoint}?{urlencode(params)}"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def oidc_router(signin: OidcSignIn, *, cookie_secure: bool) -> APIRouter:
    router = APIRouter(tags=["sign-in"])
    issuer, accounts = signin.issuer, signin.accounts

    @router.get(
        "/oidc/sign-in",
        status_code=303,
        summary="sign in at the partnership's identity provider (OpenID Connect)",
        responses={303: {"description": "on to the provider's sign-in page"}},
    )
    async def start() -> Response:
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        await run_in_threadpool(accounts.hold_login, state, nonce, verifier)
        url = await run_in_threadpool(
            lambda: issuer.authorization_url(
                state=state, nonce=nonce, challenge=_challenge(verifier)
            )
        )
        response = RedirectResponse(url, status_code=303)
        # Lax, not Strict: the provider sends the browser back cross-site.
        response.set_cookie(
            STATE_COOKIE, state, httponly=True, secure=cookie_secure, samesite="lax", max_age=600
        )
        return response

    @router.get(
        "/oidc/callback",
        summary="where the identity provider sends the browser back",
        responses={
            200: {"description": "signed in: the session cookie is set"},
            401: {"description": "sign-in refused (state, code or ID token not acceptable)"},
        },
    )
    async def callback(
        request: Request,
        state: Annotated[str, Query(max_length=500, description="as sent")] = "",
        code: Annotated[str, Query(max_length=2000, description="the authorization code")] = "",
        error: Annotated[str, Query(max_length=200, description="the provider's error")] = "",
    ) -> Response:
        if error:
            raise _refused(f"the identity provider refused: {error}", "provider_error", "error")
        held = request.cookies.get(STATE_COOKIE, "")
        if not state or not held or not secrets.compare_digest(state, held):
            raise _refused(
                "this sign-in was not started in this browser (state mismatch)",
                "state_matches",
                "state",
            )
        pending = await run_in_threadpool(accounts.take_login, state)
        if pending is None:
            raise _refused("this sign-in is unknown, used or expired", "state_held", "state")
        if not code:
            raise _refused("the provider sent no authorization code", "code_present", "code")
        nonce, verifier = pending

        def finish() -> tuple[Principal, str]:
            tokens = issuer.exchange(code, verifier)
            id_token = tokens.get("id_token")
            if not isinstance(id_token, str):
                raise _refused("the provider sent no ID token", "id_token_present", "id_token")
            claims = issuer.verify(id_token, audience=issuer.settings.oidc_client_id, nonce=nonce)
            return signin.mapping.principal(issuer.issuer, claims), id_token

        principal, id_token = await run_in_threadpool(finish)
        session, _ = await run_in_threadpool(
            lambda: accounts.start_principal_session(principal, id_token=id_token)
        )
        # A page, not a redirect: the session cookie is SameSite=Strict, which a browser
        # would not send on a redirect chain that the provider (another site) started.
        response = HTMLResponse(
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta http-equiv='refresh' content='0;url=/me'><title>Signed in</title></head>"
            f"<body><p>Signed in as {escape(principal.name)}. <a href='/me'>Continue</a></p>"
            "</body></html>"
        )
        response.set_cookie(
            SESSION_COOKIE,
            session,
            httponly=True,
            secure=cookie_secure,
            samesite="strict",
            max_age=accounts.settings.web_session_minutes * 60,
        )
        response.delete_cookie(STATE_COOKIE)
        return response

    return router
