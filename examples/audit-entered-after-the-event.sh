#!/usr/bin/env bash
# An audit entered after the event (issue 8): a practice evaluation planned in
# January 2026, recorded today from the QA officer's file, from plan to impact
# check, fact by fact with the dates they happened. Every date is checked against
# the facts it follows (a return before it was asked for, moderation before the
# last return, ... are refused, naming the field and the rule "chronology"), and
# the clocks are judged once the facts are in (from the end of the recording day):
# the late return reads late, the action completed on time has no reminder or
# escalation, and nothing is escalated for a due day the facts show was met.
# Run with `python3 run.py dev` going in another terminal:
#   source .venv/bin/activate && bash examples/audit-entered-after-the-event.sh
set -euo pipefail
export QA_ACTOR_NAME="${QA_ACTOR_NAME:-Priya Shah}" QA_ACTOR_ROLE="${QA_ACTOR_ROLE:-QA officer}"
export QA_PARTNERSHIP="${QA_PARTNERSHIP:-GSCP}"
REF=${1:-AUD-2026-014}
PLAN="${REF}-AP"
q() { echo "\$ qa-engine $*" >&2; qa-engine "$@"; }

q audit plan --audit-ref "$REF" --partnership GSCP --kind practice_evaluation \
  --theme "Child protection plans 11-17" --period-start 2025-10-01 --period-end 2025-12-31 \
  --sample-size 3 --lead "Head of Quality" --agencies LA --agencies ICB \
  --opened-on 2026-01-05 > /dev/null
q audit draw-sample "$REF" --drawn-on 2026-01-12 \
  --case-refs C-40211 --case-refs C-40212 --case-refs C-40213 > /dev/null
q audit request-returns "$REF" --requested-on 2026-01-13 \
  --requests LA=2026-01-30 --requests ICB=2026-01-30 > /dev/null
q audit record-return "$REF" --agency LA --received-on 2026-01-28 > /dev/null
q audit record-return "$REF" --agency ICB --received-on 2026-02-03 > /dev/null
# a date out of order is refused, naming the field and the rule; nothing is recorded
q audit record-moderation "$REF" --held-on 2026-02-02 --moderators "QA subgroup" \
  || echo "(refused as expected)" >&2
q audit record-moderation "$REF" --held-on 2026-02-09 --moderators "QA subgroup" > /dev/null
q audit record-findings "$REF" --recorded-on 2026-02-11 \
  --findings C-40211=good --findings C-40212=requires_improvement \
  --findings C-40213=good > /dev/null
q audit record-report "$REF" --reported-on 2026-02-18 --recipients "QA subgroup" > /dev/null
q audit record-learning-briefing "$REF" --issued-on 2026-02-20 \
  --recipients "All practitioners" > /dev/null
q audit raise-action-plan "$REF" --raised-on 2026-02-23 --actions \
  '{"owner_agency": "LA", "text": "Review child protection plans at 3 months with the family", "due_on": "2026-04-30", "success_measure": "Every plan reviewed at 3 months"}' \
  > /dev/null
q actionplan record-action-evidence "$PLAN" --action-id A1 --received-on 2026-04-20 \
  --evidence "Plan review tracker: 42 of 42 reviewed at 3 months" > /dev/null
q actionplan complete-action "$PLAN" --action-id A1 --completed-on 2026-04-24 > /dev/null
q actionplan record-impact-check "$PLAN" --checked-on 2026-08-03 --method re_audit \
  --result improved --measure "Re-audit of 10 plans: all reviewed at 3 months with the family"
q audit show "$REF"
q audit history "$REF" --purpose "entered after the event: check the record"
q actionplan show "$PLAN"
q actionplan history "$PLAN" --purpose "entered after the event: check the record"
