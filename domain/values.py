"""Value objects shared by every lifecycle, and the rules every value meets where it enters.

Every command model (``domain/*/commands.py``) is built from these types, so a
date, a number or a piece of text is checked the same way wherever input enters
(CLI, API, the workflows' update validators, the services) and nothing is
recorded when it fails. The rules, each named in the error it raises:

``iso_date``
    A day is written ``YYYY-MM-DD`` (or given as a ``date``). A bare number is
    refused: pydantic would read it as a Unix timestamp. A date-and-time is refused.
``date_in_calendar_range``
    A day lies between ``FIRST_DAY`` and ``LAST_DAY``: inside the working-day
    calendar (``qa_engine.calendar``: GOV.UK data from 2012, computed to 2040),
    with a year's margin before and three years after, so every deadline planned
    from an accepted day (reminders before it, 6 months for an LCSPR, up to 24
    months and 120 working days for an impact check) can still be counted.
    Out-of-range days used to reach the calendar inside an activity and be
    retried for ever.
``clean_text``
    Free text is Unicode NFC-normalised and stripped; control characters (ANSI
    escapes, carriage returns, NUL, ...: everything in category Cc except newline
    and tab), line/paragraph separators, lone surrogates and bidirectional
    overrides/isolates (which make text display differently from what is stored)
    are refused, naming the character and its position.
``child_ref_pattern``
    A child (or sampled case) reference is pseudonymous: ONE letter, a hyphen, an
    optional second letter, then 1-12 digits, optionally ``-`` and up to 6 more
    digits (``C-40213``, ``C-A0203``, ``X-1``, ``C-2031-2``). Anything with more
    letters (``JohnSmith2015``, ``Ava-2019``) could be a name and is refused.
    This is the floor every partnership shares; a partnership's recorded policy
    (``PartnershipPolicy.child_ref_pattern``) may narrow it to its own reference
    scheme (e.g. ``^C-[0-9]{5}$``), checked by the services where it is known.

These rules apply to commands only: stored events keep their own plain types and
load without them, so tightening a rule never stops a record loading. A command
stored in a Temporal history (an update's arguments) is decoded again when the
workflow replays: validated under ``REPLAYING_STORED`` (a pydantic validation
context), the four rules above let through what an earlier release accepted, so a
history recorded before a rule was tightened still replays.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "AGENCIES",
    "DEFAULT_CHILD_REF_PATTERN",
    "FIRST_DAY",
    "LAST_DAY",
    "REPLAYING_STORED",
    "Actor",
    "AgencyCode",
    "CaseRef",
    "ChildRef",
    "ClockKey",
    "Command",
    "Day",
    "FreeText",
    "Label",
    "Name",
    "PartnershipCode",
    "clean_text",
    "invalid_input",
]

#: The first and last day any command may carry (rule ``date_in_calendar_range``).
FIRST_DAY = date(2013, 1, 1)
LAST_DAY = date(2037, 12, 31)

_CASE_REF = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,39}$")
#: The pseudonymous child reference every partnership's own pattern narrows
#: (rule ``child_ref_pattern``): a prefix letter and digits (``C-40213``).
DEFAULT_CHILD_REF_PATTERN = r"^[A-Z]-[A-Z]?[0-9]{1,12}(-[0-9]{1,6})?$"
_CHILD_REF = re.compile(DEFAULT_CHILD_REF_PATTERN)
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
#: bidirectional embeddings, overrides, isolates and marks
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALLOWED_CONTROLS = frozenset("\n\t")

#: The validation context of a command decoded from a stored Temporal history: the
#: value rules above (``iso_date``, ``date_in_calendar_range``, ``clean_text``,
#: ``child_ref_pattern``) are not applied again to what was accepted when recorded.
REPLAYING_STORED: dict[str, bool] = {"replaying_stored": True}


def _stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and info.context.get("replaying_stored") is True


def invalid(field: str | None, rule: str, message: str) -> PydanticCustomError:
    """A validator's refusal, named by its rule (the error's ``type``, which every
    entry point shows as the rule). A rule over the whole model names its field at the
    start of its message (``aware_on: ...``), where the entry points read it."""
    text = f"{field}: {message}" if field else message
    return PydanticCustomError(rule, text.replace("{", "{{").replace("}", "}}"))


def _case_ref(value: str) -> str:
    value = value.strip().upper()
    if not _CASE_REF.match(value):
        raise invalid(
            None,
            "case_ref_format",
            "a case reference is 3-40 characters of A-Z, 0-9 and '-', starting with a "
            "letter or digit (e.g. GSCP-2026-014); it must not contain names",
        )
    return value


def _child_ref(value: str, info: ValidationInfo) -> str:
    value = value.strip().upper()
    if not _CHILD_REF.match(value) and not _stored(info):
        raise PydanticCustomError(
            "child_ref_pattern",
            "a child reference must be pseudonymous: one letter, a hyphen, an optional "
            "letter, then digits (e.g. C-40213 or C-A0203); more letters could spell a name",
        )
    return value


def _day_shape(value: Any, info: ValidationInfo) -> Any:
    """Only ``date`` values and ``YYYY-MM-DD`` strings are days (rule ``iso_date``)."""
    if _stored(info):
        return value
    if isinstance(value, datetime):
        raise PydanticCustomError("iso_date", "a day is a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.match(value.strip()):
        return value.strip()
    if isinstance(value, str):
        raise PydanticCustomError(
            "iso_date",
            "a date is written YYYY-MM-DD (e.g. 2026-05-08), not {got}",
            {"got": repr(value[:40])},
        )
    raise PydanticCustomError(
        "iso_date",
        "a date is written YYYY-MM-DD; a {kind} is not a date (a bare number would be "
        "read as a Unix timestamp)",
        {"kind": type(value).__name__},
    )


def _day_range(value: date, info: ValidationInfo) -> date:
    if not FIRST_DAY <= value <= LAST_DAY and not _stored(info):
        raise PydanticCustomError(
            "date_in_calendar_range",
            "{day} is outside the dates the working-day calendar can count deadlines "
            "from ({first} to {last})",
            {
                "day": value.isoformat(),
                "first": FIRST_DAY.isoformat(),
                "last": LAST_DAY.isoformat(),
            },
        )
    return value


def clean_text(value: str) -> str:
    """NFC-normalised ``value``; refuses control, separator, surrogate and bidi characters."""
    value = unicodedata.normalize("NFC", value)
    for i, ch in enumerate(value, 1):
        category = unicodedata.category(ch)
        bad = (
            (category == "Cc" and ch not in _ALLOWED_CONTROLS)
            or category in {"Zl", "Zp", "Cs"}
            or ch in _BIDI
        )
        if bad:
            kind = "a bidirectional control" if ch in _BIDI else "a control character"
            raise PydanticCustomError(
                "clean_text",
                "text may not contain {kind} (U+{code} at character {at}); "
                "only printable text, newlines and tabs are recorded",
                {"kind": kind, "code": f"{ord(ch):04X}", "at": i},
            )
    return value


def _text(value: str, info: ValidationInfo) -> str:
    return value if _stored(info) else clean_text(value)


_Text = AfterValidator(_text)

CaseRef = Annotated[str, AfterValidator(_case_ref)]
ChildRef = Annotated[str, AfterValidator(_child_ref)]
PartnershipCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{2,12}$")
]
AgencyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z][A-Z0-9_]{1,23}$")
]
#: A clock's key, as the state names it (``lcspr_final_report``, ``agency_summary:POLICE``).
ClockKey = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z_]{1,60}(:[A-Z0-9_]{1,24})?$")
]
#: A day: ``YYYY-MM-DD`` or a ``date``, within the calendar's range (module docstring).
Day = Annotated[date, BeforeValidator(_day_shape), AfterValidator(_day_range)]
#: Free text (reasons, notes, recommendations): 3-4000 characters, cleaned.
FreeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000), _Text
]
#: A short label (a theme, a lead, a recipient): 2-200 characters, cleaned.
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200), _Text
]
#: A person's name or role as recorded: 2-120 characters, cleaned.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120), _Text]

#: Agencies seen in the seeds; any code matching ``AgencyCode`` is accepted.
AGENCIES = ("LA", "POLICE", "ICB", "HEALTH", "EDUCATION", "PROBATION", "CAFCASS", "VCS")


def invalid_input(error: ValidationError) -> tuple[str, str, str]:
    """``(field, rule, message)`` of a command's first validation error.

    A model-level rule names its field at the start of its message (``aware_on: ...``).
    """
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    field = ".".join(str(p) for p in first["loc"])
    if not field:
        head, sep, rest = message.partition(": ")
        field, message = (head, rest) if sep and head.isidentifier() else ("input", message)
    return field, str(first["type"]), message


class Actor(BaseModel):
    """Who did it: a member of partnership staff and the role they acted in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Name
    role: Name
    subject: str | None = Field(
        default=None, description="the signed-in principal's stable id (set by the entry point)"
    )
    partnership: str | None = Field(
        default=None, description="the partnership the principal acts for (set by the entry point)"
    )


class Command(BaseModel):
    """Base of every command: strict shape, and always an actor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: Actor = Field(description="who is recording this, and in what role")
