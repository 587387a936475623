"""The CLI acts for one principal: who records a step comes from it, never from input."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from domain.errors import DomainError
from domain.tenancy import OutsideScope, Scope
from qa_engine.config import Settings
from qa_engine.entry import cli, cli_common


def _settings(tmp_path: Path, **kw: str) -> Settings:
    base: dict[str, str] = {
        "actor_name": "Sam Patel",
        "actor_role": "partnership business manager",
        "partnership": "gscp",
    }
    return Settings(data_dir=tmp_path, **{**base, **kw})


def test_the_recorded_actor_is_the_principal(tmp_path: Path) -> None:
    settings = _settings(tmp_path, principal_subject="entra:1234")
    actor = cli_common._actor(argparse.Namespace(), settings)
    assert actor == {
        "name": "Sam Patel",
        "role": "partnership business manager",
        "subject": "entra:1234",
        "partnership": "GSCP",
    }


def test_the_subject_defaults_to_the_login(tmp_path: Path) -> None:
    actor = cli_common._actor(argparse.Namespace(), _settings(tmp_path))
    assert str(actor["subject"]).startswith("local:") and len(str(actor["subject"])) > 6


def test_no_principal_is_refused_naming_the_setting(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with pytest.raises(DomainError) as e:
        cli_common._actor(argparse.Namespace(), settings)
    assert (e.value.field, e.value.rule) == ("QA_ACTOR_NAME", "principal_required")


def test_an_unknown_role_is_refused_with_the_roles_listed(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as e:
        cli_common._actor(argparse.Namespace(), _settings(tmp_path, actor_role="Ofsted inspector"))
    assert (e.value.field, e.value.rule) == ("QA_ACTOR_ROLE", "known_role")
    assert "auditor" in str(e.value) and "QA officer" in str(e.value)


def test_read_only_roles_may_read_but_not_record(tmp_path: Path) -> None:
    auditor = _settings(tmp_path, actor_name="Ivy Inspector", actor_role="auditor")
    assert cli_common._actor(argparse.Namespace(), auditor, records=False)["role"] == "auditor"
    with pytest.raises(OutsideScope) as e:
        cli_common._actor(argparse.Namespace(), auditor)
    assert e.value.rule == "read_only_role"


def test_another_partnership_is_refused_except_for_operations(tmp_path: Path) -> None:
    ns = argparse.Namespace(tenant="wscp")
    assert cli_common.tenant_of(argparse.Namespace(tenant=None), _settings(tmp_path)) == "GSCP"
    with pytest.raises(OutsideScope) as e:
        cli_common.tenant_of(ns, _settings(tmp_path))
    assert (e.value.field, e.value.rule) == ("partnership", "same_partnership")
    ops = _settings(tmp_path, actor_name="Olu Ops", actor_role="operations")
    assert cli_common.tenant_of(ns, ops) == "WSCP"


def test_actor_options_are_gone_from_the_command_line() -> None:
    parser = cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(
            ["case", "show", "X-1", "--actor-name", "Someone Else", "--actor-role", "auditor"]
        )


def test_a_refused_principal_exits_invalid_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QA_ACTOR_NAME", "Ivy Inspector")
    monkeypatch.setenv("QA_ACTOR_ROLE", "auditor")
    monkeypatch.setenv("QA_PARTNERSHIP", "GSCP")
    monkeypatch.setenv("QA_TEMPORAL_ADDRESS", "127.0.0.1:1")  # never reached
    code = cli.run(["case", "record-panel-notification", "GSCP-1", "--notified-on", "2026-05-07"])
    err = capsys.readouterr()
    assert code == cli_common.EXIT_REJECTED, err
    assert "can read but not record" in err.out + err.err
    assert not (tmp_path / "events.sqlite3").exists()


def test_an_agency_lead_is_scoped_to_their_agencies(tmp_path: Path) -> None:
    lead = Settings(
        data_dir=tmp_path,
        actor_name="Pat Police",
        actor_role="agency safeguarding lead",
        partnership="GSCP",
        actor_agencies="police, icb",  # type: ignore[arg-type]  # as the environment gives it
    )
    scope = cli_common.scope_of(lead)
    assert scope is not None and (scope.partnership, scope.agencies) == ("GSCP", ("POLICE", "ICB"))
    manager = _settings(tmp_path)
    assert cli_common.scope_of(manager) == Scope(partnership="GSCP")
    ops = _settings(tmp_path, actor_name="Olu Ops", actor_role="operations")
    assert cli_common.scope_of(ops) is None
    with pytest.raises(DomainError) as e:
        cli_common.scope_of(lead.model_copy(update={"actor_agencies": ()}))
    assert (e.value.field, e.value.rule) == ("QA_ACTOR_AGENCIES", "agency_lead_agencies")


def test_temporal_unreachable_names_the_address_and_what_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 8 item 16: an infrastructure error names the address and what to check,
    never the raw transport error nor a traceback (exit 4)."""
    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QA_PARTNERSHIP", "GSCP")
    monkeypatch.setenv("QA_TEMPORAL_ADDRESS", "127.0.0.1:1")
    code = cli.run(["case", "show", "GSCP-1"])
    err = capsys.readouterr()
    said = err.out + err.err
    assert code == 4, said
    assert "Temporal at 127.0.0.1:1" in said and "QA_TEMPORAL_ADDRESS" in said
    assert "tonic" not in said and "Traceback" not in said
