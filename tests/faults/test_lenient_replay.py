"""A history recorded before a value rule tightened still replays (issue 11).

An earlier release accepted values today's command models refuse (a child reference
like a name, a carriage return in free text). Those values sit in Temporal histories
as update and start arguments, decoded again on every replay. Here the older release
is stood in for by switching the value rules off (``domain.values._stored``, and the
partnership's own child reference pattern) while a case is recorded; with the rules
back on, the history replays with the converter every worker uses, and would not with
a strict one.
"""

from __future__ import annotations

import dataclasses

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain import values
from domain.partnership import PartnershipPolicy
from domain.review import COMMANDS
from qa_engine.entry.codec import EncryptionCodec, data_converter
from qa_engine.reviews import ReviewService
from tests.conftest import TEST_CODEC_KEY, actor
from tests.wf_helpers import start_case, today_of
from workers.main import WORKFLOWS, sandbox_runner


@pytest.mark.parametrize(
    "child_ref", ["C-10001", "JohnSmith2015"], ids=["refused-update-args", "refused-start-too"]
)
async def test_a_history_with_values_refused_today_replays(
    child_ref: str,
    ts_env: WorkflowEnvironment,
    review_worker: tuple[Client, str, ReviewService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, queue, _ = review_worker
    today = await today_of(ts_env)
    with monkeypatch.context() as older_release:
        older_release.setattr(values, "_stored", lambda info: True)
        # nor did it know a partnership's own child reference pattern (issue 8 item 14)
        older_release.setattr(PartnershipPolicy, "check_child_refs", lambda *a, **k: None)
        _, handle = await start_case(client, queue, today, child_refs=[child_ref])
        for name, field in (
            ("record_panel_notification", "notified_on"),
            ("record_partners_informed", "informed_on"),
        ):
            earlier = COMMANDS[name].model_validate({"actor": actor(), field: today})
            await handle.execute_update(name, earlier)
        rationale = "criteria met\rafter discussion"
        command = COMMANDS["record_threshold_decision"].model_validate(
            {"actor": actor(), "met": True, "decided_on": today, "rationale": rationale}
        )
        await handle.execute_update("record_threshold_decision", command)
    # today's rules refuse both values
    with pytest.raises(ValueError, match="clean_text"):
        COMMANDS["record_threshold_decision"].model_validate(command.model_dump())
    history = await handle.fetch_history()
    ours = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(TEST_CODEC_KEY),
        workflow_runner=sandbox_runner(),
    )
    assert (
        await ours.replay_workflow(history, raise_on_replay_failure=False)
    ).replay_failure is None
    strict = Replayer(
        workflows=WORKFLOWS,
        data_converter=dataclasses.replace(
            pydantic_data_converter, payload_codec=EncryptionCodec(TEST_CODEC_KEY)
        ),
        workflow_runner=sandbox_runner(),
    )
    failed = await strict.replay_workflow(history, raise_on_replay_failure=False)
    assert failed.replay_failure is not None  # the stored values really are refused today


async def test_a_history_with_an_update_a_newer_whole_model_rule_refuses_replays(
    ts_env: WorkflowEnvironment,
    review_worker: tuple[Client, str, ReviewService],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A whole-model rule (``RecordThresholdDecision._outcome``: no outcome for a
    threshold met) that an older release did not have: the older release is stood in
    for by the model rebuilt without that validator while the case is recorded."""
    client, queue, _ = review_worker
    today = await today_of(ts_env)
    model = COMMANDS["record_threshold_decision"]
    decorators = model.__pydantic_decorators__
    data = {
        "actor": actor(),
        "met": True,
        "decided_on": today,
        "rationale": "criteria met",
        "outcome_if_not_met": "close",
    }
    with monkeypatch.context() as older_release:
        without = {k: v for k, v in decorators.model_validators.items() if k != "_outcome"}
        older_release.setattr(decorators, "model_validators", without)
        model.model_rebuild(force=True)
        try:
            _, handle = await start_case(client, queue, today)
            for name, field in (
                ("record_panel_notification", "notified_on"),
                ("record_partners_informed", "informed_on"),
            ):
                earlier = COMMANDS[name].model_validate({"actor": actor(), field: today})
                await handle.execute_update(name, earlier)
            await handle.execute_update("record_threshold_decision", model.model_validate(data))
        finally:
            older_release.undo()
            model.model_rebuild(force=True)
    # today's whole-model rule refuses the stored argument
    with pytest.raises(ValueError, match="outcome_if_not_met: only allowed"):
        model.model_validate(data)
    history = await handle.fetch_history()
    ours = Replayer(
        workflows=WORKFLOWS,
        data_converter=data_converter(TEST_CODEC_KEY),
        workflow_runner=sandbox_runner(),
    )
    assert (
        await ours.replay_workflow(history, raise_on_replay_failure=False)
    ).replay_failure is None
    strict = Replayer(
        workflows=WORKFLOWS,
        data_converter=dataclasses.replace(
            pydantic_data_converter, payload_codec=EncryptionCodec(TEST_CODEC_KEY)
        ),
        workflow_runner=sandbox_runner(),
    )
    failed = await strict.replay_workflow(history, raise_on_replay_failure=False)
    assert failed.replay_failure is not None  # the stored argument really is refused today
