#!/usr/bin/env bash
# Drives one case from the serious incident notification to publication, as the
# partnership business manager records it (dates as they happened, in 2026).
# Run with `python3 run.py dev` going in another terminal:
#   source .venv/bin/activate && bash examples/case-to-publication.sh
set -euo pipefail
export QA_ACTOR_NAME="${QA_ACTOR_NAME:-Sam Patel}" QA_ACTOR_ROLE="${QA_ACTOR_ROLE:-partnership business manager}"
REF=${1:-GSCP-2026-014}
q() { echo "\$ qa-engine $*" >&2; qa-engine "$@"; }

q case report --case-ref "$REF" --partnership GSCP --incident-on 2026-05-03 --aware-on 2026-05-05 \
  --child-refs C-40213 --abuse-or-neglect --harm seriously_harmed
# The SIN discussion first: the three safeguarding partners decide to notify.
q case record-threshold-decision "$REF" --met --decided-on 2026-05-06 \
  --rationale "Neglect suspected; serious harm; multi-agency involvement" \
  --decided-by "LA safeguarding lead" --decided-by "ICB designated nurse" \
  --decided-by "Police detective inspector" > /dev/null
q case record-panel-notification "$REF" --notified-on 2026-05-07 > /dev/null
q case record-partners-informed "$REF" --informed-on 2026-05-07 > /dev/null
q case request-agency-summaries "$REF" --requested-on 2026-05-08 \
  --requests POLICE=2026-05-15 --requests ICB=2026-05-18 --requests EDUCATION=2026-05-18 > /dev/null
q case record-agency-summary "$REF" --agency POLICE --received-on 2026-05-14 > /dev/null
q case record-agency-summary "$REF" --agency ICB --received-on 2026-05-18 > /dev/null
q case record-agency-summary "$REF" --agency EDUCATION --received-on 2026-05-19 > /dev/null
q case record-rapid-review-meeting "$REF" --held-on 2026-05-21 \
  --agencies-present LA --agencies-present POLICE --agencies-present ICB > /dev/null
q case record-rapid-review-decision "$REF" --decision lcspr --decided-on 2026-05-21 \
  --rationale "Potential for learning about information sharing at the front door" > /dev/null
q case submit-rapid-review-report "$REF" --submitted-on 2026-05-27 > /dev/null
q case record-panel-response "$REF" --response agrees --received-on 2026-06-08
q case appoint-reviewer "$REF" --reviewer "Independent reviewer (commissioned)" --appointed-on 2026-06-15 > /dev/null
q case agree-terms-of-reference "$REF" --agreed-on 2026-06-29 \
  --lines-of-enquiry "Information sharing at referral" --lines-of-enquiry "Voice of the child" > /dev/null
q case record-bodies-informed "$REF" --informed-on 2026-06-30 --bodies panel --bodies ofsted --bodies dfe > /dev/null
for d in 2026-06-30 2026-08-10 2026-09-21 2026-11-02; do
  q case record-progress-checkpoint "$REF" --held-on "$d" --status on_track > /dev/null
done
q case record-final-report "$REF" --completed-on 2026-11-05 > /dev/null
q case record-report-sent "$REF" --sent-on 2026-11-06 --recipients panel --recipients secretary_of_state > /dev/null
q case record-publication "$REF" --published-on 2026-11-19 > /dev/null
q case record-recommendations "$REF" --recorded-on 2026-11-20 \
  --recommendations "LA=Review the front door's use of chronologies" \
  --recommendations "ICB=Train GPs to recognise neglect in under-fives"
