# ruff: noqa
"""Wrote events.sqlite3 and manifest.json here with the code of commit 2be70a3 (the
release before typed events), run from a checkout of that commit:

    .venv/bin/python tests/legacy/v1_reviews/make_store.py /tmp/out

Kept for the record of how the fixture was made; it cannot run against later code.
"""

import os, sys, shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, os.getcwd())
from qa_engine.bootstrap import bootstrap
from qa_engine.config import Settings
from tests.lifecycle import full_lifecycle, report, step

out = Path(sys.argv[1])
shutil.rmtree(out, ignore_errors=True)
out.mkdir(parents=True)
svc = bootstrap(Settings(data_dir=out, store="sqlite"))
r = svc.reviews
AW = date(2025, 1, 6)
# a full lifecycle, to recommendations
for _ in full_lifecycle(r, "V1-FULL"):
    pass
# stopped at every early stage
report(r, "V1-REPORTED")
report(r, "V1-WEST", partnership="WSCP")
it = full_lifecycle(r, "V1-RAPID")
for _ in range(6):
    next(it)  # summaries requested, one received
it = full_lifecycle(r, "V1-LCSPR")
for _ in range(16):
    next(it)  # LCSPR clock paused
# threshold not met -> closed
report(r, "V1-NOTMET")
step(r, "V1-NOTMET", "record_panel_notification", AW, notified_on=AW)
step(
    r,
    "V1-NOTMET",
    "record_threshold_decision",
    AW + timedelta(days=1),
    met=False,
    decided_on=AW + timedelta(days=1),
    rationale="criteria not met after all",
    outcome_if_not_met="close",
)
# a reminder and a breach on the notification clock of a reported case
report(r, "V1-BREACH")
late = datetime(2025, 1, 14, 12, tzinfo=timezone.utc)
r.send_reminder("V1-BREACH", "panel_notification", key="review-V1-BREACH/reminder")
r.record_breach("V1-BREACH", "panel_notification", key="review-V1-BREACH/breach", at=late)
# a recorded read in the case's own stream
r.read_history(
    "V1-FULL", actor={"name": "Ivy Inspector", "role": "independent scrutineer"}, purpose="scrutiny"
)
import json

refs = ["V1-FULL", "V1-REPORTED", "V1-WEST", "V1-RAPID", "V1-LCSPR", "V1-NOTMET", "V1-BREACH"]
manifest = {
    ref: {
        "state": r.state(ref).model_dump(mode="json"),
        "events": [e.event for e in r.history(ref)],
    }
    for ref in refs
}
(out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
svc.close()
print("ok", sorted(p.name for p in out.iterdir()))
