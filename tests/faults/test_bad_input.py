"""Fault suite, bad input: a corpus over every command model, generated with
hypothesis from the models' own field types (``domain.values``) plus unknown
fields. Every bad value is refused with an error naming its field (and the rule),
and nothing is recorded: the store's log does not move.

Small run (the normal suite): a few examples per field. Full run:
``QA_FAULTS_FULL=1`` (see ``tests/faults/README.md``).
"""

from __future__ import annotations

import os
import typing
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from domain.action_plan import ACTION_PLAN_COMMANDS, OpenActionPlan, OpenPlanFromReview
from domain.assurance import ASSURANCE_COMMANDS, OpenAssurance
from domain.audit import AUDIT_COMMANDS, PlanAudit
from domain.child_of_concern import CONCERN_COMMANDS, OpenConcern
from domain.review import COMMANDS, ReportIncident
from domain.section11 import SECTION_11_COMMANDS, OpenSection11Cycle
from domain.values import FIRST_DAY, LAST_DAY, ChildRef, Day, FreeText, Label, Name
from qa_engine.bootstrap import bootstrap
from tests.conftest import actor, sqlite_settings
from tests.lifecycle import full_lifecycle

FULL = os.environ.get("QA_FAULTS_FULL", "") not in ("", "0")
EXAMPLES = 200 if FULL else 4
FIGURES: Counter[str] = Counter()

MODELS: list[type[BaseModel]] = [
    ReportIncident,
    PlanAudit,
    OpenActionPlan,
    OpenPlanFromReview,
    OpenConcern,
    *COMMANDS.values(),
    *AUDIT_COMMANDS.values(),
    *ACTION_PLAN_COMMANDS.values(),
    *CONCERN_COMMANDS.values(),
    OpenSection11Cycle,
    *SECTION_11_COMMANDS.values(),
    OpenAssurance,
    *ASSURANCE_COMMANDS.values(),
]

# ------------------------------------------------------------ strategies

BAD_CHARS = [chr(c) for c in (*range(0, 9), 11, 12, 13, *range(14, 32), 127, 0x85)] + list(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029"
)
PRINTABLE = st.text(st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]), max_size=20)

bad_text = st.builds(
    lambda a, ch, b: f"abc{a}{ch}{b}xyz", PRINTABLE, st.sampled_from(BAD_CHARS), PRINTABLE
)
bad_day = st.one_of(
    st.dates(max_value=FIRST_DAY - timedelta(days=1)).map(date.isoformat),
    st.dates(min_value=LAST_DAY + timedelta(days=1)).map(date.isoformat),
    st.dates(min_value=FIRST_DAY, max_value=LAST_DAY).map(lambda d: d.strftime("%d/%m/%Y")),
    st.integers(),  # read as a Unix timestamp by a lax date
    st.floats(allow_nan=False),
    st.integers(min_value=10**8, max_value=10**10).map(str),
    st.text(max_size=12).filter(lambda s: not s.strip()[:4].isdigit()),
)
name_like_ref = st.from_regex(r"[A-Za-z]{2,12}-?[0-9]{2,4}", fullmatch=True)

#: rules a refused value may be named by, per kind of field
RULES = {
    "day": {"date_in_calendar_range", "iso_date", "date_from_datetime_parsing", "date_type"},
    "text": {"clean_text"},
    "child_ref": {"child_ref_pattern"},
    "extra": {"extra_forbidden"},
}


def _kind(hint: Any) -> str | None:
    for kind, t in (("day", Day), ("text", FreeText), ("text", Label), ("text", Name)):
        if hint == t:
            return kind
    if hint == ChildRef:
        return "child_ref"
    return None


def _unwrap(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, type(int | None)) and len(args) == 1:
        return args[0]
    return hint


def targets(model: type[BaseModel]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every (location, kind) a bad value can be put at: fields, list items, and
    the fields of nested item models (first item)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    hints = typing.get_type_hints(model, include_extras=True)
    for name, hint in hints.items():
        if name == "actor" or name == "model_config":
            continue
        hint = _unwrap(hint)
        kind = _kind(hint)
        if kind:
            found.append(((name,), kind))
        elif typing.get_origin(hint) is list:
            (item,) = typing.get_args(hint)
            if _kind(item):
                found.append(((name, 0), str(_kind(item))))
            elif isinstance(item, type) and issubclass(item, BaseModel):
                found += [((name, 0, *loc), k) for loc, k in targets(item)]
    found.append((("unexpected_field",), "extra"))
    return found


CORPUS = [(m, loc, kind) for m in MODELS for loc, kind in targets(m)]


def _put(data: dict[str, Any], loc: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``loc`` (a field, ``(field, 0)`` a list item, or
    ``(field, 0, sub, ...)`` a field of the list's first item)."""
    name, rest = str(loc[0]), loc[1:]
    if not rest:
        data[name] = value
    elif len(rest) == 1:
        data[name] = [value]
    else:
        item: dict[str, Any] = {}
        _put(item, rest[1:], value)
        data[name] = [item]


def _strategy(kind: str) -> st.SearchStrategy[Any]:
    return {
        "day": bad_day,
        "text": bad_text,
        "child_ref": name_like_ref,
        "extra": st.text(max_size=10),
    }[kind]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    services = bootstrap(sqlite_settings(tmp_path_factory.mktemp("bad-input")))
    for _ in full_lifecycle(services.reviews, "BAD-001"):
        pass
    yield services
    services.close()
    if FIGURES:
        print(f"\nbad-input figures: {dict(FIGURES)} ({len(CORPUS)} field targets)")


def head(services: Any) -> int:
    return int(services.reviews.recorder.max_notification_id() or 0)


def test_the_corpus_covers_every_command_model() -> None:
    covered = {m for m, _, kind in CORPUS if kind != "extra"}
    assert covered == set(MODELS), set(MODELS) - covered
    assert {kind for _, _, kind in CORPUS} == set(RULES)


@pytest.mark.parametrize(
    ("model", "loc", "kind"),
    CORPUS,
    ids=[f"{m.__name__}.{'.'.join(map(str, loc))}" for m, loc, _ in CORPUS],
)
def test_every_bad_value_is_refused_naming_its_field(
    model: type[BaseModel], loc: tuple[str | int, ...], kind: str, store: Any
) -> None:
    before = head(store)

    @hyp_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(value=_strategy(kind))
    def refused(value: Any) -> None:
        data: dict[str, Any] = {"actor": actor()}
        _put(data, loc, value)
        FIGURES["tried"] += 1
        with pytest.raises(ValidationError) as caught:
            model.model_validate(data)
        errors = caught.value.errors()
        at = [e for e in errors if tuple(e["loc"])[: len(loc)] == loc]
        assert at, f"{model.__name__}: {value!r} at {loc} not named; errors: {errors}"
        assert {e["type"] for e in at} & RULES[kind], at
        FIGURES["refused naming the field"] += 1

    refused()
    assert head(store) == before  # nothing recorded
