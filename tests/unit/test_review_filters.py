"""Parsing the board's GET filters: typed values, errors by field, and URLs that reproduce the view."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from ops_ui.categories import ErrorCategory
from ops_ui.review.filters import Cursor, parse_filters


def _parse(query: list[tuple[str, str]]):
    return parse_filters(MultiDict(query))


def test_empty_query_is_the_default_failed_queue_of_future_starts():
    filters = _parse([])
    assert filters.sync_status == "failed"
    assert filters.future_only
    assert filters.is_default
    assert not filters.errors


def test_every_parameter_is_typed_and_round_trips_through_the_url():
    query = [
        ("sync_status", "failed"),
        ("category", "HOST_CONFLICT"),
        ("category", "timeout"),
        ("kind", "business"),
        ("staff", "12"),
        ("service", "3"),
        ("from", "2026-11-24"),
        ("to", "2026-11-30"),
        ("critical", "1"),
        ("q", "#748"),
    ]
    filters = _parse(query)
    assert not filters.errors
    assert filters.categories == (ErrorCategory.HOST_CONFLICT, ErrorCategory.TIMEOUT)
    assert (filters.staff_id, filters.service_id) == (12, 3)
    assert (filters.date_from, filters.date_to) == (date(2026, 11, 24), date(2026, 11, 30))
    assert not filters.future_only  # a date range is its own time scope
    assert _parse(filters.params()) == filters


def test_past_and_ancient_replace_the_future_default_and_pending_views_are_never_cut_by_time():
    assert not _parse([("past", "1")]).future_only
    assert not _parse([("ancient", "1")]).future_only
    assert not _parse([("sync_status", "stuck")]).future_only


def test_cursor_survives_the_url_and_a_damaged_one_is_an_error():
    cursor = Cursor(datetime(2026, 11, 24, 9, 0, 0, 123, tzinfo=UTC), 748)
    assert _parse([("after", cursor.encode())]).after == cursor
    assert "after" in _parse([("after", "2026-11-24T09:00:00,abc")]).errors
    assert "after" in _parse([("after", "2026-11-24T09:00:00,5")]).errors  # no zone: not one of ours


def test_bad_values_become_field_errors_not_exceptions():
    filters = _parse(
        [
            ("category", "NOPE"),
            ("kind", "x"),
            ("staff", "1; drop"),
            ("from", "tomorrow"),
            ("past", "2"),
            ("q", "x" * 500),
        ]
    )
    assert set(filters.errors) == {"category", "kind", "staff", "from", "past", "q"}


@pytest.mark.parametrize("value", ["²", "1²", "١٢"])
def test_non_ascii_digits_in_ids_and_cursors_are_field_errors_not_crashes(value):
    # "²" and "١" pass str.isdigit() but int() rejects the first and reads the second as a digit.
    filters = _parse([("staff", value), ("service", value), ("after", f"2026-11-24T09:00:00+00:00,{value}")])
    assert set(filters.errors) == {"staff", "service", "after"}
    assert (filters.staff_id, filters.service_id, filters.after) == (None, None, None)


def test_cursor_id_longer_than_any_real_id_is_an_error():
    assert "after" in _parse([("after", "2026-11-24T09:00:00+00:00," + "9" * 30)]).errors


def test_dates_outside_the_supported_years_are_field_errors():
    filters = _parse([("from", "0001-01-01"), ("to", "9999-12-31")])
    assert set(filters.errors) == {"from", "to"}
    assert (filters.date_from, filters.date_to) == (None, None)
    assert not _parse([("from", "2000-01-01"), ("to", "2100-12-31")]).errors


@pytest.mark.parametrize(
    "start", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "1970-01-01T00:00:00+00:00"]
)
def test_cursor_outside_the_representable_range_is_an_error(start):
    assert "after" in _parse([("after", f"{start},1")]).errors


def test_active_count_counts_the_folded_filters_but_not_the_search():
    assert _parse([]).active_count == 0
    assert _parse([("q", "anna")]).active_count == 0
    narrowed = _parse([("sync_status", "pending"), ("category", "TIMEOUT"), ("category", "AUTH"), ("past", "1")])
    assert narrowed.active_count == 3
