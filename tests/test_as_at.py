"""The auditor's history: the case as it stood at any moment, rebuilt from the event
store itself; and every read of a case history by a person is itself recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import CaseNotFound
from projections import queries
from projections.catalogue import build_runner, sealer_for
from qa_engine.access_log import describe_read
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.lifecycle import full_lifecycle

AUDITOR = {"name": "Jo Scrutineer", "role": "independent scrutineer"}


def test_state_as_at_every_step_equals_the_state_then(
    settings: Settings, service: ReviewService
) -> None:
    states = list(full_lifecycle(service, "ASAT-1"))
    history = service.history("GSCP", "ASAT-1")
    assert [e.version for e in history] == list(range(1, len(states) + 1))

    for entry, then in zip(history, states, strict=True):
        at = entry.recorded_at
        assert service.state_as_at("GSCP", "ASAT-1", at) == then, f"as at version {entry.version}"
        assert [e.version for e in service.history("GSCP", "ASAT-1", as_at=at)] == list(
            range(1, entry.version + 1)
        )
        # a moment before the event: the state before it
        before = at - timedelta(microseconds=1)
        if entry.version > 1:
            assert service.state_as_at("GSCP", "ASAT-1", before) == states[entry.version - 2]

    with pytest.raises(CaseNotFound):
        service.state_as_at("GSCP", "ASAT-1", history[0].recorded_at - timedelta(microseconds=1))


def test_every_read_is_recorded_with_who_when_and_why(
    settings: Settings, service: ReviewService
) -> None:
    states = list(full_lifecycle(service, "ASAT-2"))
    midway = service.history("GSCP", "ASAT-2")[5].recorded_at

    entries = service.read_history(
        "GSCP", "ASAT-2", actor=AUDITOR, as_at=midway, purpose="Ofsted JTAI"
    )
    assert [e.version for e in entries] == list(range(1, 7))  # what was known then

    # the read is recorded in the access log, not in the case's own stream
    assert [e.version for e in service.history("GSCP", "ASAT-2")] == list(range(1, len(states) + 1))
    (read,) = service.reads("GSCP", "ASAT-2")
    assert (read.actor, read.view, read.purpose, read.as_at) == (
        AUDITOR,
        "history",
        "Ofsted JTAI",
        midway,
    )

    service.read_history("GSCP", "ASAT-2", actor={"name": "Kim Lee", "role": "QA officer"})
    assert [(r.actor["name"], r.as_at) for r in service.reads("GSCP", "ASAT-2")] == [
        ("Jo Scrutineer", midway),
        ("Kim Lee", None),
    ]
    # recording a read changes nothing about the case, and the chain stays intact
    assert service.state("GSCP", "ASAT-2").model_dump(exclude={"version"}) == states[-1].model_dump(
        exclude={"version"}
    )
    assert service.verify("GSCP", "ASAT-2").ok

    # ... and the reads are shown beside the case's audit trail, in plain words
    runner = build_runner(service)
    runner.catch_up()
    trail = queries.trail(runner.db, "ASAT-2", partnership="GSCP", sealer=sealer_for(service))
    assert len(trail) == len(states)  # the case's own facts only
    assert [(r.actor["name"], describe_read(r)) for r in service.reads("GSCP", "ASAT-2")] == [
        (
            "Jo Scrutineer",
            f"Case history read as it stood at {midway.isoformat()} (purpose: Ofsted JTAI)",
        ),
        ("Kim Lee", "Case history read (purpose: case review)"),
    ]
