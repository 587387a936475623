"""Worker wiring: the one place a worker process is assembled."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from qa_engine.bootstrap import Services
from workers.activities import review_activities
from workers.programme_activities import programme_activities
from workers.qa_activities import quality_activities
from workflows.action_plan import ActionPlanWorkflow
from workflows.audit import AuditWorkflow
from workflows.child_of_concern import ChildOfConcernWorkflow
from workflows.programme import ProgrammeOccurrenceWorkflow
from workflows.request_deadline import RequestDeadline
from workflows.review import ReviewWorkflow

__all__ = ["WORKFLOWS", "build_worker", "sandbox_runner"]

WORKFLOWS = [
    ReviewWorkflow,
    AuditWorkflow,
    ActionPlanWorkflow,
    ChildOfConcernWorkflow,
    ProgrammeOccurrenceWorkflow,
]


def sandbox_runner() -> SandboxedWorkflowRunner:
    """Domain and contract modules are pure: pass them through the sandbox."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            "domain",
            "workflows.contracts",
            "workflows.payloads",
            "pydantic",
            "pydantic_core",
            "zoneinfo",
        )
    )


def build_worker(
    client: Client,
    *,
    task_queue: str,
    services: Services,
    executor: ThreadPoolExecutor,
    max_concurrent_activities: int | None = None,
) -> Worker:
    # Activities are synchronous (the event store is): one thread each.
    limit = max_concurrent_activities or executor._max_workers
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            *review_activities(services.reviews),
            *quality_activities(services.quality),
            *programme_activities(services.programme),
        ],
        activity_executor=executor,
        max_concurrent_activities=limit,
        workflow_runner=sandbox_runner(),
        # steps that reach a worker after their caller gave up are refused
        interceptors=[RequestDeadline()],
    )
