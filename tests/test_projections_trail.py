"""The audit trail: per case, when, who (name and role), what in plain words, why."""

from __future__ import annotations

from datetime import date

from eventsourcing.cipher import AESCipher
from pydantic import SecretStr

from domain.calendar import end_of_day
from domain.review.aggregate import ReviewCase
from projections import queries
from projections.catalogue import build_runner, sealer_for
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.reviews import ReviewService
from tests.lifecycle import full_lifecycle, report

_EVENT_CLASS_NAMES = [c.__name__ for c in vars(ReviewCase).values() if isinstance(c, type)]


def test_the_trail_reads_without_knowing_event_classes(
    settings: Settings, service: ReviewService
) -> None:
    n = len(list(full_lifecycle(service, "TRAIL-1")))
    runner = build_runner(service)
    runner.catch_up()
    trail = queries.trail(runner.db, "trail-1", partnership="GSCP", sealer=sealer_for(service))

    assert [t.version for t in trail] == list(range(1, n + 1))
    assert [t.when for t in trail] == sorted(t.when for t in trail)
    assert {(t.who, t.role) for t in trail} == {("Alex Morgan", "partnership business manager")}
    for t in trail:
        assert not any(name in t.what for name in _EVENT_CLASS_NAMES), t.what
        assert "_" not in t.what, t.what  # no field or deadline keys
    whats = [t.what for t in trail]
    assert whats[1] == "National Panel notified on 2025-01-08 (within the deadline, 2025-01-13)"
    assert whats[2] == "Safeguarding partners informed on 2025-01-15 (late: was due 2025-01-13)"
    assert whats[8] == (
        "Rapid review decision on 2025-01-24: a local child safeguarding practice review (LCSPR)"
    )
    # decisions carry their reasons; plain facts do not
    why = {t.version: t.why for t in trail if t.why}
    assert why == {
        4: "criteria met: serious harm, neglect suspected",
        9: "learning about multi-agency information sharing",
        16: "awaiting the coroner's inquest",
    }
    assert (
        whats[-1] == "1 recommendation recorded on 2025-07-03 for POLICE; case closed (published)"
    )


def test_statutory_clock_events_name_the_deadline(
    settings: Settings, service: ReviewService
) -> None:
    report(service, "TRAIL-2")
    service.send_reminder("GSCP", "TRAIL-2", "panel_notification", key="review-TRAIL-2/remind")
    service.record_breach(
        "GSCP",
        "TRAIL-2",
        "panel_notification",
        key="review-TRAIL-2/breach",
        at=end_of_day(date(2025, 1, 13)),
    )
    runner = build_runner(service)
    runner.catch_up()
    trail = queries.trail(runner.db, "TRAIL-2", partnership="GSCP", sealer=sealer_for(service))
    assert [(t.who, t.role) for t in trail[1:]] == [("qa-engine", "statutory clock")] * 2
    assert (
        trail[1].what
        == "Reminder sent to local authority: Notify the national Panel due 2025-01-13"
    )
    assert trail[2].what.startswith(
        "Deadline missed: Notify the national Panel was due 2025-01-13; escalated to "
    )


def test_reasons_stay_encrypted_at_rest_in_the_view(settings: Settings) -> None:
    encrypted = settings.model_copy(update={"cipher_key": SecretStr(AESCipher.create_key(16))})
    services = bootstrap(encrypted)
    try:
        svc = services.reviews
        list(full_lifecycle(svc, "TRAIL-3"))
        runner = build_runner(svc)
        runner.catch_up()
        with runner.db.read() as cur:
            stored = cur.execute(
                "SELECT why FROM {audit_trail} WHERE ref = ? AND version = 4", ("TRAIL-3",)
            ).fetchone()
        assert stored is not None and stored["why"].startswith("aes:")
        assert "neglect" not in stored["why"]
        trail = queries.trail(runner.db, "TRAIL-3", partnership="GSCP", sealer=sealer_for(svc))
        assert trail[3].why == "criteria met: serious harm, neglect suspected"
    finally:
        services.close()


def test_the_trail_of_a_sin_discussion_a_delay_and_a_withdrawal_reads_true(
    settings: Settings, service: ReviewService
) -> None:
    from tests.lifecycle import AWARE, step

    report(service, "TRAIL-SIN")
    partners = ["LA lead", "ICB lead", "Police lead"]
    step(service, "TRAIL-SIN", "record_threshold_decision", AWARE, met=True, decided_on=AWARE,
         rationale="serious harm, neglect suspected", decided_by=partners)  # fmt: skip
    step(service, "TRAIL-SIN", "record_panel_notification", AWARE, notified_on=AWARE)
    step(service, "TRAIL-SIN", "record_delay", AWARE, clock="rapid_review", reported_on=AWARE,
         reason="police disclosure awaited", panel_told=True)  # fmt: skip
    step(service, "TRAIL-SIN", "record_withdrawal", AWARE, withdrawn_on=AWARE,
         reasons="no abuse or neglect after all", decided_by=partners)  # fmt: skip
    runner = build_runner(service)
    runner.catch_up()
    trail = queries.trail(runner.db, "trail-sin", partnership="GSCP", sealer=sealer_for(service))
    whats = [t.what for t in trail]
    assert whats[1].startswith(
        f"SIN discussion on {AWARE} (decided by LA lead, ICB lead, Police lead): the "
        "serious-incident criteria are met"
    )
    assert whats[3] == (
        f"Delay recorded on {AWARE}: Rapid review report to the national Panel (reported to "
        "the national Panel); the clock does not pause"
    )
    assert whats[4].startswith(f"Rapid review withdrawn on {AWARE} (decided by LA lead")
    assert [t.why for t in trail][3:] == [
        "police disclosure awaited",
        "no abuse or neglect after all",
    ]
    assert all("_" not in w for w in whats), whats
