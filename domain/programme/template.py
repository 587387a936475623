"""Seed 002's QA timetable (Gloucestershire, May 2025) as programme entries, plus the
QIIP subgroup's quarterly meeting (seed 000): a starting point a partnership edits
by recorded decisions, never code it must change."""

from __future__ import annotations

from domain.programme.commands import Cadence, EntryKind, EntrySpec

__all__ = ["TEMPLATES", "seed_002_timetable"]

_EIGHT = [1, 2, 4, 5, 7, 8, 10, 11]


def seed_002_timetable() -> list[EntrySpec]:
    def e(entry_id: str, kind: EntryKind, title: str, cadence: Cadence, **kw: object) -> EntrySpec:
        return EntrySpec.model_validate(
            {"entry_id": entry_id, "kind": kind, "title": title, "cadence": cadence, **kw}
            | {"owner_agency": kw.get("owner_agency", "LA")}
        )

    return [
        e(
            "PE",
            EntryKind.PRACTICE_EVALUATION,
            "Practice evaluation by cohort",
            Cadence.CYCLES,
            months=_EIGHT,
            sample_size=6,
            lead="Advanced Practitioner",
        ),
        e(
            "EH",
            EntryKind.EARLY_HELP_AUDIT,
            "Early help audit",
            Cadence.CYCLES,
            months=_EIGHT,
            lead="Early Help Team Manager",
        ),
        e(
            "DIP",
            EntryKind.DIP_AUDIT,
            "Dip audit",
            Cadence.CYCLES,
            months=_EIGHT,
            lead="Team Manager",
        ),
        e(
            "FPE",
            EntryKind.FOSTERING_PRACTICE_EVALUATION,
            "Fostering practice evaluation",
            Cadence.CYCLES,
            months=_EIGHT,
            lead="Fostering Team Manager",
        ),
        e("PW", EntryKind.PRACTICE_WEEK, "Practice week", Cadence.TWICE_YEARLY),
        e("CLINIC", EntryKind.PERFORMANCE_CLINIC, "Performance clinic", Cadence.MONTHLY),
        e(
            "CRS",
            EntryKind.CONFERENCE_REVIEWING_SUMMARY,
            "Conference and Reviewing Service summary",
            Cadence.QUARTERLY,
            months=[2, 5, 8, 11],
        ),
        e(
            "QAR",
            EntryKind.QUARTERLY_ASSURANCE_REPORT,
            "Quarterly assurance report",
            Cadence.QUARTERLY,
            months=[3, 6, 9, 12],
        ),
        e(
            "PQLG",
            EntryKind.PRACTICE_QUALITY_LEARNING_GROUP,
            "Practice Quality Learning Group",
            Cadence.QUARTERLY,
            months=[2, 5, 8, 11],
            group="PQLG",
        ),
        e(
            "QPR",
            EntryKind.QUALITY_PERFORMANCE_REVIEW_MEETING,
            "Quality Performance and Review meeting",
            Cadence.QUARTERLY,
            months=[1, 4, 7, 10],
            group="QPR",
        ),
        e("CQ", EntryKind.BRIEFING, "Cracking quality briefing", Cadence.CYCLES, months=_EIGHT),
        e(
            "QIIP",
            EntryKind.SUBGROUP_MEETING,
            "QIIP subgroup meeting",
            Cadence.QUARTERLY,
            months=[3, 6, 9, 12],
            day=15,
            group="QIIP",
        ),
    ]


TEMPLATES = {"seed-002": seed_002_timetable, "empty": list}
