#!/usr/bin/env bash
# A case entered after the event (issue 8): a rapid review from March 2026,
# recorded today from the file, fact by fact with the dates they happened.
# The clocks are judged against the facts once they are in (from the end of the
# recording day): the trail has no reminder or breach for a deadline the facts
# show was met, the late ones read "late", and nothing reads "missed ... escalated"
# and then "met within the deadline".
# Run with `python3 run.py dev` going in another terminal:
#   source .venv/bin/activate && bash examples/case-entered-after-the-event.sh
set -euo pipefail
export QA_ACTOR_NAME="${QA_ACTOR_NAME:-Sam Patel}" QA_ACTOR_ROLE="${QA_ACTOR_ROLE:-partnership business manager}"
export QA_PARTNERSHIP="${QA_PARTNERSHIP:-GSCP}"
REF=${1:-GSCP-2026-007}
q() { echo "\$ qa-engine $*" >&2; qa-engine "$@"; }

q case report --case-ref "$REF" --partnership GSCP --incident-on 2026-02-28 --aware-on 2026-03-02 \
  --child-refs C-40077 --child-refs C-40078 --abuse-or-neglect --harm seriously_harmed > /dev/null
q case record-threshold-decision "$REF" --met --decided-on 2026-03-03 \
  --rationale "Siblings seriously harmed together; neglect suspected" \
  --decided-by "LA safeguarding lead" --decided-by "ICB designated nurse" \
  --decided-by "Police detective inspector" > /dev/null
q case record-panel-notification "$REF" --notified-on 2026-03-04 > /dev/null
q case record-partners-informed "$REF" --informed-on 2026-03-12 > /dev/null
q case request-agency-summaries "$REF" --requested-on 2026-03-05 \
  --requests POLICE=2026-03-11 --requests ICB=2026-03-12 > /dev/null
q case record-agency-summary "$REF" --agency POLICE --received-on 2026-03-10 > /dev/null
q case record-agency-summary "$REF" --agency ICB --received-on 2026-03-13 > /dev/null
q case record-rapid-review-meeting "$REF" --held-on 2026-03-16 \
  --agencies-present LA --agencies-present POLICE --agencies-present ICB > /dev/null
q case record-rapid-review-decision "$REF" --decision no_further_review --decided-on 2026-03-16 \
  --rationale "Learning captured by the rapid review" > /dev/null
q case submit-rapid-review-report "$REF" --submitted-on 2026-03-20 > /dev/null
q case record-panel-response "$REF" --response agrees --received-on 2026-04-02
q case trail "$REF" --purpose "entered after the event: check the trail"
