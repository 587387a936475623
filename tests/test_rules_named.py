"""Every refusal of a value names its rule: the domain's validators raise
``domain.values.invalid`` (a ``PydanticCustomError`` typed by the rule), never a bare
``ValueError``, whose type every entry point would show as the rule "value_error"."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.review_data import report

DOMAIN = Path(__file__).parent.parent / "domain"
#: raised outside validation: a programming error, and a lookup the settings wrap
NOT_VALIDATION = {"audit/state.py", "rules.py"}


def test_no_validator_raises_a_bare_value_error() -> None:
    found = []
    for path in sorted(DOMAIN.rglob("*.py")):
        name = path.relative_to(DOMAIN).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id == "ValueError"
                and name not in NOT_VALIDATION
            ):
                found.append(f"{name}:{node.lineno}")
    assert found == [], found


@pytest.mark.parametrize(
    ("fields", "field", "rule"),
    [
        ({"incident_on": date(2025, 4, 12)}, "aware_on", "chronology"),
        ({"child_refs": ["C-1001", "C-1001"]}, "child_refs", "unique"),
        ({"abuse_or_neglect": False}, "abuse_or_neglect", "sin_criteria"),
        ({"ref": "GSCP 2025/1"}, "case_ref", "case_ref_format"),
    ],
)
def test_a_model_rule_names_its_field_and_rule(
    fields: dict[str, object], field: str, rule: str
) -> None:
    from domain.values import invalid_input

    with pytest.raises(ValidationError) as e:
        report(**fields)  # type: ignore[arg-type]
    named, named_rule, message = invalid_input(e.value)
    assert (named, named_rule) == (field, rule), message
    assert not message.startswith(f"{field}:")
