"""The lifecycle-3 demo `qa-engine dev` seeds: the DEMO partnership's QA programme
for this year (seed 002's timetable, each entry a Temporal Schedule, so
`temporal schedule list` shows them), the QIIP subgroup with a quorate and an
inquorate meeting, a scorecard whose latest value is an exception on the next
agenda, a Section 11 cycle waiting on two returns, and a practice week.

All references are invented. Seeding is idempotent: every step has a fixed key,
so a second run records nothing more (and reports nothing created).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.assurance import ASSURANCE_COMMANDS, OpenAssurance
from domain.calendar import LONDON, WorkingDayCalendar
from domain.errors import CaseNotFound
from domain.programme import OpenProgramme
from domain.programme.template import TEMPLATES
from domain.qa import next_working_day
from domain.scorecard import SCORECARD_COMMANDS, OpenScorecard
from domain.section11 import SECTION_11_COMMANDS, STANDARDS, OpenSection11Cycle
from domain.subgroup import SUBGROUP_COMMANDS, FormSubgroup
from qa_engine.programme import ProgrammeService

__all__ = ["seed_programme_demo"]

DEMO_ACTOR = {"name": "Demo Business Manager", "role": "partnership business manager"}
P = "DEMO"


def _quarter(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d} Q{((day.month - 4) % 12) // 3 + 1}"


async def seed_programme_demo(
    programme: ProgrammeService,
    calendar: WorkingDayCalendar,
    schedules: Any | None = None,
    today: date | None = None,
) -> list[str]:
    """Record the demo (and sync the programme's schedules through ``schedules``, a
    ``ProgrammeClient``); return the references created now."""
    t = today or datetime.now(LONDON).date()
    created: list[str] = []
    try:
        programme.programme(P, t.year)
    except CaseNotFound:
        created.append(f"QAP-{t.year}")
    state = programme.open_programme(
        OpenProgramme.model_validate(
            {
                "actor": DEMO_ACTOR,
                "partnership": P,
                "year": t.year,
                "decided_on": date(t.year, 1, 1) if t.month > 1 else t,
                "entries": [e.model_dump() for e in TEMPLATES["seed-002"]()],
            }
        ),
        key="demo/programme",
    )
    if schedules is not None:
        await schedules.sync(state)

    def new(kind: str, ref: str) -> bool:
        try:
            getattr(programme, kind)(P, ref)
        except CaseNotFound:
            created.append(ref)
            return True
        return False

    formed = t - timedelta(days=120)
    new("subgroup", "QIIP")
    programme.form_subgroup(
        FormSubgroup(
            actor=DEMO_ACTOR,
            group_ref="QIIP",
            partnership=P,
            name="Quality and Improvement in Practice",
            chair="Designated Nurse",
            members=["LA", "POLICE", "ICB", "EDUCATION"],
            formed_on=formed,
        ),
        key="demo/qiip",
    )

    def group(step: str, key: str, **fields: Any) -> None:
        command = SUBGROUP_COMMANDS[step].model_validate({"actor": DEMO_ACTOR, **fields})
        programme.record_subgroup_step(P, "QIIP", step, command, key=key, today=t)

    held1 = next_working_day(calendar, formed + timedelta(days=14))
    held2 = next_working_day(calendar, formed + timedelta(days=70))
    group(
        "record_meeting",
        "demo/m1",
        meeting_ref="QIIP-M1",
        held_on=held1,
        present=["LA", "POLICE", "ICB", "EDUCATION"],
    )
    group(
        "raise_action",
        "demo/a1",
        meeting_ref="QIIP-M1",
        owner_agency="POLICE",
        text="Share strategy discussion attendance data",
        due_on=next_working_day(calendar, held1 + timedelta(days=30)),
    )
    group("record_meeting", "demo/m2", meeting_ref="QIIP-M2", held_on=held2, present=["LA", "ICB"])

    new("scorecard", "DEMO-SC")
    programme.open_scorecard(
        OpenScorecard(
            actor=DEMO_ACTOR,
            scorecard_ref="DEMO-SC",
            partnership=P,
            subgroup_ref="QIIP",
            opened_on=formed,
        ),
        key="demo/scorecard",
    )

    def card(step: str, key: str, **fields: Any) -> None:
        command = SCORECARD_COMMANDS[step].model_validate({"actor": DEMO_ACTOR, **fields})
        programme.record_scorecard_step(P, "DEMO-SC", step, command, key=key, today=t)

    card(
        "define_indicator",
        "demo/i1",
        code="IHA_20WD",
        name="Initial health assessments within 20 working days",
        source_agency="ICB",
        polarity="higher_is_better",
        target=90,
        tolerance=5,
        unit="%",
        decided_on=formed,
    )
    card(
        "return_value",
        "demo/v1",
        code="IHA_20WD",
        quarter=_quarter(formed),
        value=88,
        returned_on=formed,
    )
    if _quarter(t) != _quarter(formed):
        card(
            "return_value",
            "demo/v2",
            code="IHA_20WD",
            quarter=_quarter(t),
            value=79.5,
            returned_on=t,
        )

    opened = t - timedelta(days=40)
    new("section11", "DEMO-S11")
    programme.open_section11(
        OpenSection11Cycle(
            actor=DEMO_ACTOR,
            cycle_ref="DEMO-S11",
            partnership=P,
            cycle_year=1,
            opened_on=opened,
            returns_due_on=next_working_day(calendar, t + timedelta(days=10)),
        ),
        key="demo/s11",
    )
    command = SECTION_11_COMMANDS["submit_self_assessment"].model_validate(
        {
            "actor": DEMO_ACTOR,
            "agency": "LA",
            "ratings": [
                {"standard": c, "rag": "amber" if c == "S11_7" else "green"} for c in STANDARDS
            ],
            "evidence": [{"standard": c, "document": f"LA evidence pack {c}"} for c in STANDARDS],
            "submitted_on": opened + timedelta(days=20),
        }
    )
    programme.record_section11_step(
        P, "DEMO-S11", "submit_self_assessment", command, key="demo/s11/la", today=t
    )

    week = t - timedelta(days=21)
    new("assurance", "DEMO-PW")
    programme.open_assurance(
        OpenAssurance.model_validate(
            {
                "actor": DEMO_ACTOR,
                "activity_ref": "DEMO-PW",
                "partnership": P,
                "kind": "practice_week",
                "theme": "Practice week: voice of the child",
                "agencies": ["LA", "POLICE", "ICB"],
                "opened_on": week,
            }
        ),
        key="demo/pw",
    )
    for i, (agency, grade) in enumerate((("LA", "good"), ("POLICE", "requires_improvement"))):
        obs = ASSURANCE_COMMANDS["record_observation"].model_validate(
            {
                "actor": DEMO_ACTOR,
                "agency": agency,
                "form": "observation",
                "grade": grade,
                "held_on": week + timedelta(days=1 + i),
            }
        )
        programme.record_assurance_step(
            P, "DEMO-PW", "record_observation", obs, key=f"demo/pw/{i}", today=t
        )
    return created
