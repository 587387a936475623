"""The transcoder gives stored values back typed, however deeply they are nested."""

from __future__ import annotations

from datetime import UTC, date, datetime

from qa_engine.store import OrjsonTranscoder


def test_tagged_values_come_back_typed_at_every_depth() -> None:
    t = OrjsonTranscoder()
    value = {
        "timestamp": datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
        "opened": [
            {
                "due_on": date(2025, 3, 11),
                "escalations": [{"at": datetime(2025, 3, 12, tzinfo=UTC)}],
            }
        ],
        "days": [[date(2024, 2, 29)]],
        "plain": {"n": 1, "s": "x", "none": None, "flag": True, "f": 1.5, "empty": [], "e": {}},
        # a dict that merely looks tagged, with an unknown kind, stays a dict (walked into)
        "lookalike": {
            "_type_": "other",
            "_data_": [{"_type_": "date_iso", "_data_": "2025-01-02"}],
        },
    }
    decoded = t.decode(t.encode(value))
    assert decoded == {
        **value,
        "lookalike": {"_type_": "other", "_data_": [date(2025, 1, 2)]},
    }
    assert type(decoded["opened"][0]["due_on"]) is date
    assert type(decoded["opened"][0]["escalations"][0]["at"]) is datetime
    assert type(decoded["days"][0][0]) is date
    assert t.decode(t.encode([date(2025, 1, 1)])) == [date(2025, 1, 1)]
    assert t.decode(t.encode({"_type_": "date_iso", "_data_": "2025-01-01"})) == date(2025, 1, 1)
