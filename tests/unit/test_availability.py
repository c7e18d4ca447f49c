"""Free/busy off Cal.com's slot grid: a start is free when free slots together cover the whole appointment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops_ui.actions.availability import covered

LENGTH = timedelta(minutes=135)
DAY = datetime(2050, 9, 5, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


GRID = [at(6), at(8, 15), at(10, 30), at(12, 45)]


@pytest.mark.parametrize(
    ("start", "free", "expected"),
    [
        (at(9), GRID, True),  # between 08:15 and 10:30, both free
        (at(9), [at(6), at(8, 15), at(12, 45)], False),  # 10:30 taken: 09:00–11:15 runs into it
        (at(9), [at(6), at(10, 30)], False),  # 08:15 taken: the gap 08:15–10:30 is not known free
        (at(8, 15), [at(8, 15)], True),  # on the grid
        (at(13), GRID, False),  # would run past the last free slot's end (15:00)
        (at(12, 45), GRID, True),
    ],
)
def test_a_start_is_free_only_when_free_slots_cover_all_of_it(start, free, expected):
    assert covered(start, start + LENGTH, free, LENGTH) is expected


def test_nothing_free_covers_nothing():
    assert covered(at(9), at(9) + LENGTH, [], LENGTH) is False
