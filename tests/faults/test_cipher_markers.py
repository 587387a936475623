"""With the cipher on, no marker entered is plaintext in the store's files (issue 11).

Every name, reference and piece of free text that a review case, an audit (plan,
sample, moderation, findings, report, briefing, closure) and the reads of both carry
is a marker; after the read models catch up, every SQLite file of the data
directory (event store, access log, views, their journals) is searched for each
marker's bytes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from eventsourcing.cipher import AESCipher
from pydantic import SecretStr

from domain.audit import AUDIT_COMMANDS, PlanAudit
from projections.catalogue import build_runner
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from tests.lifecycle import full_lifecycle

D = date(2025, 3, 24)
ACTOR = {"name": "Morgan Markerson", "role": "partnership business manager"}
SAMPLE = ["C-918273645", "C-918273646"]
MARKERS = [
    "Morgan Markerson",  # who recorded every audit step
    "Dr Sam Reviewer",  # the review's reviewer (tests.lifecycle)
    "C-10001",  # the review's child reference (tests.lifecycle)
    "Thematic zanzibar",  # audit theme
    "Lead quixotica",  # audit lead
    "C-918273645",  # sampled child references
    "Moderator vellichor",
    "Recipient sonder",
    "Briefed petrichor",
    "closure reason halcyon",
    "reading purpose lagniappe",
]


def _audit(services: Any) -> None:
    qa = services.quality
    plan = PlanAudit.model_validate(
        {
            "actor": ACTOR,
            "audit_ref": "AUD-MARK",
            "partnership": "GSCP",
            "kind": "practice_evaluation",
            "theme": "Thematic zanzibar",
            "period_start": date(2024, 10, 1),
            "period_end": date(2024, 12, 31),
            "sample_size": len(SAMPLE),
            "lead": "Lead quixotica",
            "agencies": ["LA"],
        }
    )
    qa.plan_audit(plan, key="audit-AUD-MARK/planned", today=date(2025, 3, 3))
    steps: list[tuple[str, dict[str, Any]]] = [
        ("draw_audit_sample", {"drawn_on": D, "case_refs": SAMPLE}),
        (
            "request_audit_returns",
            {"requested_on": D, "requests": [{"agency": "LA", "due_on": "2025-04-07"}]},
        ),
        ("record_audit_return", {"agency": "LA", "received_on": D}),
        ("record_audit_moderation", {"held_on": D, "moderators": ["Moderator vellichor"]}),
        (
            "record_audit_findings",
            {"recorded_on": D, "findings": [{"case_ref": r, "overall": "good"} for r in SAMPLE]},
        ),
        ("record_audit_report", {"reported_on": D, "recipients": ["Recipient sonder"]}),
        ("record_learning_briefing", {"issued_on": D, "recipients": ["Briefed petrichor"]}),
        ("close_audit", {"closed_on": D, "reason": "closure reason halcyon"}),
    ]
    for name, fields in steps:
        command = AUDIT_COMMANDS[name].model_validate({"actor": ACTOR, **fields})
        qa.record_audit_step("GSCP", "AUD-MARK", name, command, key=f"k/{name}", today=D)


def plaintext(data_dir: Path) -> dict[str, list[str]]:
    """marker -> the files of ``data_dir`` holding it in plaintext."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        for marker in MARKERS:
            if marker.encode() in blob or marker.encode("utf-16-le") in blob:
                found.setdefault(marker, []).append(path.name)
    return found


def test_no_marker_is_plaintext_with_the_cipher_on(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, cipher_key=SecretStr(AESCipher.create_key(16)))
    services = bootstrap(settings)
    try:
        for _ in full_lifecycle(services.reviews, "REV-MARK"):
            pass
        _audit(services)
        reader = {**ACTOR, "partnership": "GSCP"}
        services.reviews.read_history(
            "GSCP", "REV-MARK", actor=reader, purpose="reading purpose lagniappe"
        )
        services.quality.read_history(
            "GSCP", "audit", "AUD-MARK", actor=reader, purpose="reading purpose lagniappe"
        )
        for app in (services.reviews, services.quality):
            build_runner(app).catch_up()
    finally:
        services.close()
    assert plaintext(tmp_path) == {}
