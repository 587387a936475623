"""Long-running processes: the worker, and the all-in-one ``dev`` mode."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

import structlog
from temporalio.client import Client

from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from qa_engine.entry.demo import QA_DEMO
from qa_engine.entry.devmail import DevMailSink
from qa_engine.entry.signals import stop_event
from qa_engine.entry.web.server import DemoAccount
from workers.cancel import build_cancel_worker
from workers.main import build_worker

__all__ = ["run_dev", "run_worker_forever"]

log = structlog.get_logger("qa_engine.runtime")


async def run_worker_forever(
    client: Client,
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
) -> None:
    stop = stop or stop_event()
    services = bootstrap(settings)
    with ThreadPoolExecutor(max_workers=16, thread_name_prefix="activity") as executor:
        worker = build_worker(
            client, task_queue=settings.temporal_task_queue, services=services, executor=executor
        )
        # beside it, the queue ``qa-engine unstick`` moves a stuck step to (workers.cancel)
        canceller = build_cancel_worker(
            client, task_queue=settings.temporal_task_queue, executor=executor
        )
        async with worker, canceller:
            log.info(
                "worker started",
                task_queue=settings.temporal_task_queue,
                namespace=settings.temporal_namespace,
                store=settings.store,
            )
            if ready is not None:
                ready.set()
            await stop.wait()
    services.close()
    log.info("worker stopped")


async def run_dev(
    settings: Settings,
    *,
    demo: bool = True,
    stop_after: float | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Everything on one machine until SIGINT/SIGTERM, ``stop`` or ``stop_after``
    seconds: the Temporal dev server, the worker, the projections and the outbox's
    sender, the web app, the local SMTP sink (unless ``QA_SMTP_HOST`` is set), and
    the demo records and accounts (``demo``)."""
    from qa_engine.entry.demo import seed_demo
    from qa_engine.entry.review_client import ReviewClient
    from qa_engine.entry.temporal import codec_key, start_dev_server

    stop = stop or stop_event()
    sink, settings = _dev_mail(settings)
    codec_server = None
    key = codec_key(settings)
    if key:
        from qa_engine.entry.codec import serve_codec

        codec_server = serve_codec(
            key,
            port=settings.codec_server_port,
            allowed_origins=[f"http://localhost:{settings.dev_server_ui_port}"],
        )
    # Start-up runs side by side what does not depend on each other: once the worker
    # is up, the demo accounts' password hashing (argon2, in a thread), the demo
    # records and the web app's start.
    want_accounts = demo or settings.web_demo_accounts
    env = await start_dev_server(settings)
    try:
        if demo:  # before the sender starts: the demo's emails find their contacts
            await asyncio.to_thread(_seed_contacts, settings)
        ready = asyncio.Event()
        worker_task = asyncio.create_task(
            run_worker_forever(env.client, settings, stop=stop, ready=ready)
        )
        await _started(ready, worker_task)
        accounts_job = (
            asyncio.create_task(asyncio.to_thread(_demo_accounts, settings))
            if want_accounts
            else None
        )
        from qa_engine.entry.cli_read import run_projections_forever

        projections_task = asyncio.create_task(run_projections_forever(settings, stop))
        seeding = (
            asyncio.gather(
                seed_demo(ReviewClient(env.client, settings.temporal_task_queue)),
                _seed_quality_and_programme(env.client, settings),
            )
            if demo
            else None
        )
        from qa_engine.entry.web.server import serve

        web_started = asyncio.Event()
        web_task = asyncio.create_task(
            serve(settings, client=env.client, stop=stop, started=web_started)
        )
        await web_started.wait()
        seeded, seeded_qa = await seeding if seeding is not None else ([], [])
        accounts = await accounts_job if accounts_job is not None else []
        print(banner(settings, seeded, seeded_qa, accounts), flush=True)
        if stop_after is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), stop_after)
            stop.set()
        await worker_task
        await projections_task
        await web_task
    finally:
        await env.shutdown()
        if codec_server is not None:
            codec_server.shutdown()
        if sink is not None:
            sink.stop()


def _dev_mail(settings: Settings) -> tuple[DevMailSink | None, Settings]:
    """Unless an SMTP server is configured (``QA_SMTP_HOST``), start the local SMTP sink
    and point the outbox's sender at it: reminders and requests go out for real and
    land in ``<data_dir>/dev-mail``, shown at ``/dev/mail``."""
    if settings.sends_email:
        return None, settings
    sink = DevMailSink(settings.data_dir / "dev-mail")
    port = sink.start()
    return sink, settings.model_copy(
        update={
            "smtp_host": sink.host,
            "smtp_port": port,
            "smtp_security": "none",
            "dev_mail_dir": sink.maildir,
            "notify_public_url": f"http://{settings.web_host}:{settings.web_port}",
        }
    )


async def _started(ready: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Wait until ``ready`` is set; if ``task`` ends first, raise its error (a worker
    that fails to start must stop ``dev``, not leave it waiting for ever)."""
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiter.cancel()
        task.result()  # raises what stopped it
        raise RuntimeError("the worker stopped before it started")


def _seed_contacts(settings: Settings) -> None:
    """The demo partnership's contacts, recorded as its decisions (``partnership
    contacts`` shows them)."""
    from qa_engine.entry.demo import seed_demo_contacts

    services = bootstrap(settings)
    try:
        seed_demo_contacts(services.partnerships)
    finally:
        services.close()


def _demo_accounts(settings: Settings) -> list[DemoAccount]:
    """One demo account per role of the DEMO partnership (fresh secrets each start)."""
    from qa_engine.accounts import AccountStore
    from qa_engine.entry.web.server import seed_demo_accounts

    store = AccountStore(settings)
    try:
        return seed_demo_accounts(store)
    finally:
        store.close()


async def _seed_quality(client: Client, settings: Settings) -> list[str]:
    """Lifecycle-2 demo records; some of their first steps are back-dated through the
    service, so it gets its own (short-lived) services next to the worker's."""
    from qa_engine.calendar import england_and_wales
    from qa_engine.entry.demo import seed_quality_demo
    from qa_engine.entry.qa_client import QaClient

    services = bootstrap(settings)
    try:
        return await seed_quality_demo(
            QaClient(client, settings.temporal_task_queue), services.quality, england_and_wales()
        )
    finally:
        services.close()


async def _seed_quality_and_programme(client: Client, settings: Settings) -> list[str]:
    """Lifecycles 2 and 3, one after the other (each on its own short-lived services)."""
    return await _seed_quality(client, settings) + await _seed_programme(client, settings)


async def _seed_programme(client: Client, settings: Settings) -> list[str]:
    """The lifecycle-3 demo: the year's programme (its schedules too), a subgroup,
    a scorecard, a Section 11 cycle and a practice week."""
    from qa_engine.calendar import england_and_wales
    from qa_engine.entry.demo_programme import seed_programme_demo
    from qa_engine.entry.programme_client import ProgrammeClient

    services = bootstrap(settings)
    try:
        return await seed_programme_demo(
            services.programme,
            england_and_wales(),
            ProgrammeClient(client, settings.temporal_task_queue),
        )
    finally:
        services.close()


def banner(
    settings: Settings,
    seeded: list[str],
    seeded_qa: list[str] | None = None,
    accounts: list[DemoAccount] | None = None,
) -> str:
    ui = f"http://localhost:{settings.dev_server_ui_port}"
    store = (
        settings.sqlite_file if settings.store == "sqlite" else f"postgres {settings.postgres_db}"
    )
    demo = ", ".join(seeded) if seeded else "none (already seeded or --no-demo)"
    qa_demo = ", ".join(seeded_qa) if seeded_qa else "none (already seeded or --no-demo)"
    qa_lines = "\n".join(f"    {kind:<11}{ref:<14}{what}" for (kind, ref), what in QA_DEMO.items())
    web = f"http://{settings.web_host}:{settings.web_port}"
    people = "\n".join(
        f"    {a.username:<10} {a.password:<18} {a.totp_secret:<34} {a.role.value}"
        + (f" ({', '.join(a.agencies)})" if a.agencies else "")
        for a in accounts or []
    )
    web_lines = f"""
  HTTP API         {web}  (OpenAPI {web}/openapi.json, sign in at {web}/sign-in)"""
    if settings.dev_mail_dir is not None:
        sink = f"{settings.smtp_host}:{settings.smtp_port}"
        web_lines += f"""
  dev mail         SMTP sink {sink}; what was sent: {web}/dev/mail"""
    if people:
        web_lines += f"""
  demo accounts (partnership DEMO; add the TOTP secret to an authenticator app, or
    .venv/bin/python -c "import pyotp; print(pyotp.TOTP('SECRET').now())")
    {"USERNAME":<10} {"PASSWORD":<18} {"TOTP SECRET":<34} ROLE
{people}"""
    return f"""
qa-engine is running.
  Temporal UI      {ui}/namespaces/{settings.temporal_namespace}/workflows
  Temporal server  localhost:{settings.dev_server_port} (namespace {settings.temporal_namespace})
  event store      {store}
  demo cases       {demo}
  demo QA records  {qa_demo}
{qa_lines}{web_lines}
In another terminal (after `source .venv/bin/activate`):
  qa-engine case list
  qa-engine case show DEMO-003
  qa-engine audit show DEMO-A01
  qa-engine actionplan list
Press Ctrl-C to stop.
""".rstrip()
