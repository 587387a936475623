"""``qa-engine oversight``, as the ``qa-engine`` executable runs it (``entry.command``),
on real SQLite and PostgreSQL stores.

With ``--no-catch-up`` it reads the views straight from their database without
building the event store's applications (issue 12: a command under half a second):
it gives the rows the caught-up command gives, inside the same scope (a business
manager's partnership, an agency lead's agencies), and on a store whose views were
never made it reads none rather than failing. A process running it loads neither
the Temporal client, the event store's applications nor the ledger.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.command import run

TODAY = "2025-09-01"
ROOT = Path(__file__).resolve().parents[1]


def env_of(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a person running the command has: the store, and who they are."""
    fields = settings.model_dump(
        include={
            "store",
            "data_dir",
            "postgres_host",
            "postgres_port",
            "postgres_user",
            "postgres_db",
            "postgres_schema",
        }
    )
    env = {f"QA_{k.upper()}": str(v) for k, v in fields.items() if v is not None}
    env |= {
        "QA_ACTOR_NAME": "Sam Patel",
        "QA_ACTOR_ROLE": "partnership business manager",
        "QA_PARTNERSHIP": "PAAA",
        "QA_LOG_LEVEL": "WARNING",
    }
    return env | extra


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    def call(env: dict[str, str], *args: str) -> tuple[int, Any, str]:
        with monkeypatch.context() as m:
            for k in [k for k in os.environ if k.startswith("QA_")]:
                m.delenv(k)
            for k, v in env.items():
                m.setenv(k, v)
            code = run(["oversight", "--json", "--today", TODAY, *args])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out.strip() else None, err

    return call


@pytest.fixture
def stocked(settings: Settings) -> Settings:
    """Two partnerships' year of reviews, audits, plans and concerns."""
    from benchmarks.generate import Volumes, generate

    services = bootstrap(settings)
    try:
        generate(services, partnerships=2, years=1, volumes=Volumes(reviews=3, audits=5))
    finally:
        services.close()
    return settings


def test_the_views_read_as_they_are_give_what_the_caught_up_command_gives(
    stocked: Settings, cli: Any
) -> None:
    env = env_of(stocked)
    code, rows, err = cli(env, "--no-catch-up")  # the views were never made
    assert (code, rows) == (0, []), err

    code, caught_up, err = cli(env)
    assert code == 0, err
    assert caught_up and {r["partnership"] for r in caught_up} == {"PAAA"}
    assert {r["kind"] for r in caught_up} >= {"audit", "actionplan"}

    code, as_they_are, err = cli(env, "--no-catch-up")
    assert code == 0, err
    assert as_they_are == caught_up

    # filters and order are the query's own
    code, red, _ = cli(env, "--no-catch-up", "--rag", "red", "--kind", "audit", "--sort", "ref")
    assert red == sorted(
        [r for r in caught_up if r["rag"] == "red" and r["kind"] == "audit"],
        key=lambda r: r["ref"],
    )
    # another partnership's rows are not the principal's to see
    code, other, _ = cli(env, "--no-catch-up", "--partnership", "PAAB")
    assert (code, other) == (0, [])


def test_an_agency_lead_sees_only_their_agencys_records(stocked: Settings, cli: Any) -> None:
    manager = env_of(stocked)
    code, everything, err = cli(manager)  # catches up
    assert code == 0, err
    lead = env_of(stocked, QA_ACTOR_ROLE="agency safeguarding lead", QA_ACTOR_AGENCIES="POLICE")
    code, theirs, err = cli(lead, "--no-catch-up")
    assert code == 0, err
    assert theirs == [r for r in everything if "POLICE" in r["agencies"]]
    assert 0 < len(theirs) < len(everything)


def test_bad_input_is_named_and_nothing_is_read(stocked: Settings, cli: Any) -> None:
    env = env_of(stocked)
    code, data, _ = cli(env, "--no-catch-up", "--today", "2025-02-30")
    assert code == 2 and data["field"] == "today"
    code, data, _ = cli({k: v for k, v in env.items() if k != "QA_ACTOR_NAME"}, "--no-catch-up")
    assert code == 1 and data["field"] == "QA_ACTOR_NAME"
    # a variable that cannot even be parsed: named, one line, no traceback
    code, data, _ = cli(env | {"QA_OIDC_ROLE_MAP": "{not json"}, "--no-catch-up")
    assert (code, data["field"], data["rule"]) == (2, "QA_OIDC_ROLE_MAP", "environment")


def test_the_command_loads_neither_temporal_nor_the_event_store(
    stocked: Settings, cli: Any
) -> None:
    env = env_of(stocked)
    assert cli(env)[0] == 0  # the views made and caught up
    probe = (
        "import sys\n"
        "from qa_engine.entry.command import run\n"
        f"code = run(['oversight', '--json', '--no-catch-up', '--today', '{TODAY}'])\n"
        "heavy = ['temporalio.client', 'eventsourcing.application', 'qa_engine.ledger',\n"
        "         'qa_engine.bootstrap', 'domain.review.commands', 'requests', 'structlog']\n"
        "print('loaded:' + ','.join(m for m in heavy if m in sys.modules), code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("QA_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    last = result.stdout.strip().splitlines()[-1]
    assert last == "loaded: 0", result.stdout[-500:] + result.stderr[-2000:]
