"""Re-record the committed workflow histories that tests/test_replay.py replays.

    .venv/bin/python -m tests.histories.record

Run it only when the workflow changes on purpose (and add a patch/version gate if
running workflows must survive the change); the replay test exists to catch the
changes you did not mean.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from tests.wf_helpers import start_case, step, today_of
from tests.working_days import working_day
from workers.main import build_worker

HERE = Path(__file__).parent


async def record() -> None:
    from tests.conftest import _bin

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_bin("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    from workflows.contracts import SEARCH_ATTRIBUTES

    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in SEARCH_ATTRIBUTES
            },
        )
    )
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(4) as pool:
        services = bootstrap(Settings(data_dir=Path(tmp)))
        queue = f"record-{uuid.uuid4().hex[:6]}"
        async with build_worker(env.client, task_queue=queue, services=services, executor=pool):
            t0 = await today_of(env)
            _, h = await start_case(env.client, queue, t0, ref="REPLAY-001")
            await env.sleep(timedelta(days=8))  # reminder + breach of both notification clocks
            t1 = await today_of(env)
            await step(h, "record_panel_notification", notified_on=t1)
            await step(h, "record_partners_informed", informed_on=t1)
            await step(h, "record_threshold_decision", met=True, decided_on=t1, rationale="met")
            await step(
                h,
                "request_agency_summaries",
                requested_on=t1,
                requests=[{"agency": "POLICE", "due_on": working_day(t1 + timedelta(days=2))}],
            )
            await step(h, "record_agency_summary", agency="POLICE", received_on=t1)
            await step(h, "record_rapid_review_meeting", held_on=t1, agencies_present=["LA"])
            await step(
                h,
                "record_rapid_review_decision",
                decision="lcspr",
                decided_on=t1,
                rationale="learning",
            )
            await step(h, "submit_rapid_review_report", submitted_on=t1)
            await step(h, "record_panel_response", response="agrees", received_on=t1)
            await step(h, "pause_clock", paused_on=t1, reason="inquest", detail="inquest opened")
            await env.sleep(timedelta(days=10))
            t2 = await today_of(env)
            await step(h, "resume_clock", resumed_on=t2)
            await step(h, "appoint_reviewer", reviewer="Reviewer", appointed_on=t2)
            await step(h, "agree_terms_of_reference", agreed_on=t2, lines_of_enquiry=["x-agency"])
            await step(h, "record_final_report", completed_on=t2)
            await step(h, "plan_publication", planned_on=t2 + timedelta(days=20))
            await step(
                h, "record_report_sent", sent_on=t2, recipients=["panel", "secretary_of_state"]
            )
            await env.sleep(timedelta(days=21))
            t3 = await today_of(env)
            await step(h, "record_publication", published_on=t3)
            await step(
                h,
                "record_recommendations",
                recorded_on=t3,
                recommendations=[{"owner_agency": "LA", "text": "Audit strategy meetings"}],
            )
            await h.result()
            history = await h.fetch_history()
        services.close()
    (HERE / "review_full_path.json").write_text(history.to_json())
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
    os._exit(0)
