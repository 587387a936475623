"""Stored models survive a field removed (or added) by a release: ``ReviewState`` and
``Deadline`` (stored in events, Temporal payloads and projection state), a projection
state row holding a field today's code no longer has, and the policy itself (no
``extra="forbid"`` anywhere inside a stored model). The QA states and clocks are
covered by ``test_qa_event_evolution.py``; the v1 → v2 event upcasts by
``test_legacy_reviews.py`` and ``test_qa_event_evolution.py`` (here: every v1 record
comes back as today's class, at today's version)."""

from __future__ import annotations

import json
import shutil
import typing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.action_plan import ActionPlanState
from domain.audit import AuditState
from domain.child_of_concern import ConcernState
from domain.partnership import PartnershipPolicy
from domain.qa import Clock
from domain.review import ReviewState
from domain.review.aggregate import legacy_review_id
from domain.review.events import EVENTS, ReviewEvent
from domain.review.state import Deadline
from projections.catalogue import build_runner
from projections.views import unpack_state
from qa_engine.bootstrap import Services, bootstrap
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.conftest import sqlite_settings
from tests.lifecycle import AWARE, full_lifecycle, report, snapshot, step
from tests.review_data import as_then

V1 = Path(__file__).parent / "legacy" / "v1_reviews"
MANIFEST: dict[str, Any] = json.loads((V1 / "manifest.json").read_text())
STATES = {ref: m["state"] for ref, m in MANIFEST.items()}


def _with_unknown_fields(state: dict[str, Any]) -> dict[str, Any]:
    """The stored JSON as a later (or earlier) release might have written it."""
    stored: dict[str, Any] = json.loads(json.dumps(state))
    stored["field_removed_since"] = {"nested": [1, 2]}
    stored["priority"] = "high"
    for d in stored["deadlines"].values():
        d["escalation_channel"] = "email"
    return stored


# ------------------------------------------------------------ stored JSON


@pytest.mark.parametrize("ref", sorted(STATES))
def test_a_stored_review_state_with_unknown_fields_loads_unchanged(ref: str) -> None:
    stored = _with_unknown_fields(STATES[ref])
    assert stored["deadlines"], "the fixture state should carry deadlines"
    state = ReviewState.model_validate_json(json.dumps(stored))
    assert as_then(state.model_dump(mode="json"), STATES[ref]) == STATES[ref]
    assert "priority" not in state.model_dump_json()


def test_a_stored_deadline_with_unknown_fields_loads_unchanged() -> None:
    stored = next(d for s in STATES.values() for d in s["deadlines"].values())
    loaded = Deadline.model_validate({**stored, "escalation_channel": "email", "sla": 3})
    assert as_then(loaded.model_dump(mode="json"), stored) == stored
    assert (loaded.remind_only, loaded.judge_from, loaded.citation) == (False, None, "")


def test_a_stored_review_state_without_the_fields_added_later_loads_with_defaults() -> None:
    """A field added with a default (the policy) reads as its default from old JSON."""
    full = STATES["V1-FULL"]
    optional = [
        name for name, f in ReviewState.model_fields.items() if not f.is_required() and name in full
    ]
    assert len(optional) > 10
    trimmed = {k: v for k, v in full.items() if k not in optional}
    state = ReviewState.model_validate(trimmed)
    for name in optional:
        assert getattr(state, name) == ReviewState.model_fields[name].get_default(
            call_default_factory=True
        ), name


def test_a_temporal_payload_of_a_review_state_with_unknown_fields_decodes() -> None:
    """Activity results and query answers carry ``ReviewState``: a worker of another
    release may add or drop fields while a workflow is running."""
    stored = _with_unknown_fields(STATES["V1-LCSPR"])
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(stored).encode())
    (state,) = pydantic_data_converter.payload_converter.from_payloads([payload], [ReviewState])
    assert isinstance(state, ReviewState)
    assert as_then(state.model_dump(mode="json"), STATES["V1-LCSPR"]) == STATES["V1-LCSPR"]


# -------------------------------------------------------------- the policy


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def _forbidding(model: type[BaseModel], seen: set[type[BaseModel]]) -> list[str]:
    """Every model reachable from ``model``'s fields that refuses unknown fields."""
    if model in seen:
        return []
    seen.add(model)
    found = [model.__qualname__] if model.model_config.get("extra") == "forbid" else []
    for f in model.model_fields.values():
        for inner in _models_in(f.annotation):
            found.extend(_forbidding(inner, seen))
    return found


STORED_MODELS = [
    ReviewState,
    Deadline,
    AuditState,
    ActionPlanState,
    ConcernState,
    Clock,
    PartnershipPolicy,
]


@pytest.mark.parametrize("model", STORED_MODELS, ids=lambda m: m.__name__)
def test_no_stored_model_refuses_unknown_fields(model: type[BaseModel]) -> None:
    assert _forbidding(model, set()) == []


def test_the_policy_check_would_see_a_forbidding_model() -> None:
    """The check above can fail: a stored model holding a strict one is found."""
    from domain.values import Actor

    class Holder(BaseModel):
        actors: dict[str, list[Actor | None]]

    assert _forbidding(Holder, set()) == ["Actor"]


# ------------------------------------------------- projection state rows


def _tamper_state_rows(runner: Any, edit: Any) -> int:
    """Rewrite every stored projection state as a release with other fields wrote it
    (as plain JSON: states were stored unpacked before they were compressed)."""
    with runner.db.transaction() as cur:
        rows = cur.execute(
            "SELECT projection, originator_id, state FROM {projection_state}"
        ).fetchall()
        for r in rows:
            cur.execute(
                "UPDATE {projection_state} SET state = ? "
                "WHERE projection = ? AND originator_id = ?",
                (
                    json.dumps(edit(json.loads(unpack_state(r["state"])))),
                    r["projection"],
                    r["originator_id"],
                ),
            )
    return len(rows)


def test_projection_state_rows_with_fields_the_code_no_longer_has_still_fold(
    settings: Settings, service: ReviewService
) -> None:
    """The views carry on from stored states holding unknown fields, and end where a
    rebuild from the events ends."""
    steps = full_lifecycle(service, "PS-1")
    for _ in range(6):
        next(steps)  # part of the way: the rest is applied on top of the edited rows
    report(service, "PS-2")
    runner = build_runner(service, batch_size=5)
    runner.catch_up()
    assert _tamper_state_rows(runner, _with_unknown_fields) >= 6  # 3 projections x 2 cases
    for _ in steps:
        pass
    step(service, "PS-2", "record_panel_notification", AWARE, notified_on=AWARE)
    runner.catch_up()
    assert all(s.lag == 0 for s in runner.status())
    incremental = snapshot(runner)
    with runner.db.read() as cur:
        row = cur.execute(
            "SELECT state FROM {projection_state} WHERE projection = 'oversight'"
        ).fetchone()
    assert row is not None and row["state"].startswith("z1:")  # rewritten, packed
    assert "field_removed_since" not in unpack_state(row["state"])  # and clean
    for p in ("oversight", "audit_trail", "timeliness"):
        runner.rebuild(p)
    assert snapshot(runner) == incremental
    assert [r["ref"] for r in incremental["oversight"]] == ["PS-2"]  # PS-1 closed


# ------------------------------------------------------------------ upcasts


@pytest.fixture
def v1_store(tmp_path: Path) -> Any:
    shutil.copy(V1 / "events.sqlite3", tmp_path / "events.sqlite3")
    services: Services = bootstrap(sqlite_settings(tmp_path))
    yield services
    services.close()


def test_every_v1_record_comes_back_as_todays_class_at_todays_version(
    v1_store: Services,
) -> None:
    reviews = v1_store.reviews
    seen: set[str] = set()
    for ref, m in MANIFEST.items():
        stored = reviews.recorder.select_events(legacy_review_id(ref))
        assert len(stored) == len(m["events"]), ref
        for record in stored:
            assert record.topic.startswith("domain.review:ReviewCase."), record.topic
            assert b'"class_version"' not in record.state  # written as version 1
            event = reviews.mapper.to_domain_event(record)
            cls = EVENTS[record.topic.rsplit(".", 1)[1]]
            assert type(event) is cls and isinstance(event, ReviewEvent)
            for name, value in vars(event).items():
                hint = typing.get_type_hints(cls).get(name)
                if hint is date:
                    assert type(value) is date, (ref, cls.__name__, name, value)
            assert not hasattr(event, "command") and not hasattr(event, "report")
            seen.add(cls.__name__)
    assert {"IncidentReported", "PanelNotified", "DeadlineBreached"} <= seen
