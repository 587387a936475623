"""The lifecycle-3 demo `qa-engine dev` seeds, on the real dev server: the DEMO
programme's entries are Temporal Schedules, the records show what the README says,
and seeding twice creates and records nothing more."""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.client import Client

from projections.board import gather
from qa_engine.bootstrap import Services
from qa_engine.calendar import england_and_wales
from qa_engine.entry.demo_programme import seed_programme_demo
from qa_engine.entry.programme_client import ProgrammeClient
from tests.test_programme_schedules import dev  # noqa: F401 - the dev-server fixture

pytestmark = pytest.mark.integration
TODAY = date(2026, 11, 20)


async def test_the_programme_demo_is_seeded_once_with_its_schedules(
    dev: tuple[Client, Services],  # noqa: F811
) -> None:
    client, services = dev
    svc, calendar = services.programme, england_and_wales()
    created = await seed_programme_demo(svc, calendar, ProgrammeClient(client, "prog"), TODAY)
    assert created == ["QAP-2026", "QIIP", "DEMO-SC", "DEMO-S11", "DEMO-PW"]

    state = svc.programme("DEMO", 2026)
    ids = {s.id async for s in await client.list_schedules()}
    assert {f"programme-DEMO-2026-{e}" for e in state.entries} <= ids

    group = svc.subgroup("DEMO", "QIIP")
    assert [m.quorate for m in group.meetings.values()] == [True, False]
    assert group.clocks["subgroup_action:A1"].status == "open"
    card = svc.scorecard("DEMO", "DEMO-SC")
    assert [(i.code, v.quarter) for i, v in card.exceptions()] == [("IHA_20WD", "2026/27 Q3")]
    assert group.pending_items[0].source == "scorecard DEMO-SC"
    cycle = svc.section11("DEMO", "DEMO-S11")
    assert list(cycle.returns) == ["LA"] and cycle.outstanding() == ["HEALTH", "POLICE"]
    assert svc.assurance("DEMO", "DEMO-PW").grades()["requires_improvement"] == 1

    versions = [svc.programme("DEMO", 2026).version, group.version, card.version, cycle.version]
    again = await seed_programme_demo(svc, calendar, ProgrammeClient(client, "prog"), TODAY)
    assert again == []
    assert versions == [
        svc.programme("DEMO", 2026).version,
        svc.subgroup("DEMO", "QIIP").version,
        svc.scorecard("DEMO", "DEMO-SC").version,
        svc.section11("DEMO", "DEMO-S11").version,
    ]
    pack = gather(svc, partnership="DEMO", period="2026/27")
    assert pack.section11[0].returned == 1 and len(pack.exceptions) == 1
