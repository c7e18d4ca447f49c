"""Display helpers: company-local times across DST, relative times, summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ops_ui.formatting import duration, first_line, hours_until, iso_utc, local_date, local_time, relative_time

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_local_time_in_winter_is_cet() -> None:
    assert local_time(datetime(2026, 11, 24, 13, 0, tzinfo=UTC), "Europe/Berlin") == "Tue 24 Nov 2026, 14:00 CET"


def test_local_time_in_german_reads_like_a_german_calendar() -> None:
    moment = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert local_time(moment, "Europe/Berlin", "de") == "Mi., 2. Dez. 2026, 10:00 MEZ"
    assert local_time(datetime(2026, 7, 6, 8, 30, tzinfo=UTC), "Europe/Berlin", "de") == "Mo., 6. Juli 2026, 10:30 MESZ"
    assert local_date(moment, "Europe/Berlin", "de") == "Mi., 2. Dez. 2026"


def test_english_is_the_language_outside_a_request_and_for_an_unknown_locale() -> None:
    moment = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert local_time(moment, "Europe/Berlin") == "Wed 02 Dec 2026, 10:00 CET"
    assert local_date(moment, "Europe/Berlin", "xx") == "Wed 02 Dec 2026"
    assert relative_time(NOW + timedelta(days=3), NOW) == "in 3 days"


def test_local_time_in_summer_is_cest() -> None:
    assert local_time(datetime(2026, 7, 6, 8, 30, tzinfo=UTC), "Europe/Berlin") == "Mon 06 Jul 2026, 10:30 CEST"


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # Spring forward, Sun 29 Mar 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "Sun 29 Mar 2026, 01:59 CET"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "Sun 29 Mar 2026, 03:00 CEST"),
        # Fall back, Sun 25 Oct 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens twice.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Sun 25 Oct 2026, 02:30 CEST"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "Sun 25 Oct 2026, 02:30 CET"),
    ],
)
def test_local_time_across_dst_changes_names_the_offset(utc: datetime, expected: str) -> None:
    assert local_time(utc, "Europe/Berlin") == expected


def test_local_time_other_zone_and_date_line() -> None:
    moment = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert local_time(moment, "America/New_York") == "Tue 24 Nov 2026, 18:30 EST"
    assert local_date(moment, "Europe/Berlin") == "Wed 25 Nov 2026"


def test_local_time_treats_naive_as_utc_and_unknown_zone_as_utc() -> None:
    assert local_time(datetime(2026, 11, 24, 13, 0), "Europe/Berlin") == "Tue 24 Nov 2026, 14:00 CET"
    assert local_time(datetime(2026, 11, 24, 13, 0, tzinfo=UTC), "Mars/Olympus") == "Tue 24 Nov 2026, 13:00 UTC"
    assert local_time(datetime(2026, 11, 24, 13, 0, tzinfo=UTC), None) == "Tue 24 Nov 2026, 13:00 UTC"
    assert local_time(None, "Europe/Berlin") == "—"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(seconds=-59), "just now"),
        (timedelta(minutes=5), "in 5 min"),
        (timedelta(minutes=-45), "45 min ago"),
        (timedelta(hours=3, minutes=59), "in 3 h"),
        (timedelta(hours=-23), "23 h ago"),
        (timedelta(days=1, hours=2), "in 1 day"),
        (timedelta(days=-2, hours=-5), "2 days ago"),
        (timedelta(days=59), "in 59 days"),
        (timedelta(days=-90), "3 months ago"),
        (timedelta(days=800), "in 2 years"),
    ],
)
def test_relative_time(delta: timedelta, expected: str) -> None:
    assert relative_time(NOW + delta, now=NOW) == expected


def test_relative_time_counts_real_hours_across_dst() -> None:
    # Sat 28 Mar 12:00 CET to Sun 29 Mar 12:00 CEST is one calendar day but only 23 real hours.
    before = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    after = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    assert local_time(before, "Europe/Berlin").endswith("12:00 CET")
    assert local_time(after, "Europe/Berlin").endswith("12:00 CEST")
    assert relative_time(after, now=before) == "in 23 h"
    assert hours_until(after, now=before) == 23


def test_relative_time_none() -> None:
    assert relative_time(None) == "—"


def test_iso_utc() -> None:
    assert iso_utc(datetime(2026, 11, 24, 13, 0, tzinfo=UTC)) == "2026-11-24T13:00:00Z"
    assert iso_utc(None) == ""


def test_first_line_skips_blank_lines_and_shortens() -> None:
    assert first_line("\n\n  Cal.com answered 409  \nbody") == "Cal.com answered 409"
    assert first_line("x" * 200, limit=10) == "x" * 9 + "…"
    assert first_line(None) == ""


@pytest.mark.parametrize(("minutes", "expected"), [(45, "45 min"), (60, "1 h"), (135, "2 h 15 min"), (None, "—")])
def test_duration(minutes: int | None, expected: str) -> None:
    assert duration(minutes) == expected
