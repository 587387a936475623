"""docker-compose.yml cannot run here (no Docker engine): parse it and check it
against the names the code actually reads."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from qa_engine.config import Settings
from qa_engine.entry.cli import build_parser
from workflows.contracts import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
QA_SERVICES = {
    name: s for name, s in SERVICES.items() if s.get("image", "").startswith("qa-engine")
}


def test_compose_has_the_production_shape() -> None:
    assert {"postgresql", "temporal", "temporal-ui", "worker"} <= set(SERVICES)
    assert SERVICES["temporal"]["environment"]["DB"].startswith("postgres")
    assert SERVICES["temporal"]["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2


def test_every_qa_setting_in_compose_is_one_the_code_reads() -> None:
    fields = {f"QA_{name.upper()}" for name in Settings.model_fields}
    assert QA_SERVICES
    for name, service in QA_SERVICES.items():
        env = service["environment"]
        unknown = {k for k in env if k.startswith("QA_")} - fields
        assert not unknown, f"{name} sets names the code never reads: {unknown}"
        assert env["QA_STORE"] == "postgres"
        assert env["QA_POSTGRES_HOST"] == "postgresql"
        assert env["QA_TEMPORAL_ADDRESS"].split(":")[0] == "temporal"


def test_qa_services_run_real_cli_commands() -> None:
    from qa_engine.entry.cli import cmd_worker

    parser = build_parser()
    assert QA_SERVICES
    for name, service in QA_SERVICES.items():
        ns = parser.parse_args(service["command"])  # exits on an unknown command
        assert callable(getattr(ns, "func", None)), f"{name} runs no command"
    assert parser.parse_args(SERVICES["worker"]["command"]).func is cmd_worker


def test_search_attributes_registered_match_the_code() -> None:
    command = " ".join(SERVICES["temporal-setup"]["command"])
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", command))
    expected = {
        k.name: k.indexed_value_type.name.title().replace("_", "") for k in SEARCH_ATTRIBUTES
    }
    assert {k: v.lower() for k, v in registered.items()} == {
        k: v.lower() for k, v in expected.items()
    }
    assert shlex.split(command)


def test_dockerfile_installs_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("qa_engine", "domain", "workflows", "workers", "projections"):
        assert f"COPY {package} " in dockerfile


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        f"QA_{name.upper()}" for name in Settings.model_fields if f"QA_{name.upper()}" not in readme
    ]
    assert not missing, f"README's Configuration table lacks {missing}"


def test_the_web_service_runs_behind_a_tls_proxy_with_sign_in_and_email_settings() -> None:
    from qa_engine.entry.cli_read import cmd_projections_run

    parser = build_parser()
    web = SERVICES["web"]
    assert parser.parse_args(web["command"]).func.__name__ == "cmd_web"
    env = web["environment"]
    assert env["QA_WEB_HOST"] == "0.0.0.0" and env["QA_WEB_COOKIE_SECURE"] == "true"
    assert env["QA_OIDC_REDIRECT_URL"].endswith("/oidc/callback")
    assert "ports" not in web  # reachable only through the proxy
    proxy = SERVICES["proxy"]
    assert "web:8000" in proxy["command"] and "443:443" in proxy["ports"]
    projections = SERVICES["projections"]
    assert parser.parse_args(projections["command"]).func is cmd_projections_run
    assert "QA_SMTP_HOST" in projections["environment"]
