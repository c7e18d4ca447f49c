"""Pure simulator logic: slot maths, fault decisions with a seeded RNG, the throttler, pipe messages."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from calcom_simulator.errors import ApiError
from calcom_simulator.faults import FaultConfig, FaultConfigError, FaultInjector
from calcom_simulator.ratelimit import RateLimiter, RateLimitSettings
from calcom_simulator.slots import (
    WorkingHours,
    format_local,
    free_slot_starts,
    group_by_local_date,
    within_working_hours,
    working_intervals,
)
from calcom_simulator.validation import (
    INT64_MAX,
    NUMERIC_STRING_EXPECTED,
    ascii_int,
    parse_path_id,
    parse_slots_query,
    validate_create,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = [WorkingHours(days=(1,), start=time(9), end=time(12))]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_working_intervals_use_host_zone_across_dst() -> None:
    summer = working_intervals(MONDAY, BERLIN, at("2050-09-05T00:00:00+00:00"), at("2050-09-05T23:59:00+00:00"))
    winter = working_intervals(MONDAY, BERLIN, at("2050-12-05T00:00:00+00:00"), at("2050-12-05T23:59:00+00:00"))
    assert [s.astimezone(UTC).hour for s, _ in summer] == [7]
    assert [s.astimezone(UTC).hour for s, _ in winter] == [8]


def test_free_slots_skip_busy_time_and_respect_earliest() -> None:
    busy = [(at("2050-09-05T08:00:00+00:00"), at("2050-09-05T09:00:00+00:00"))]  # 10:00–11:00 Berlin
    starts = free_slot_starts(
        MONDAY, BERLIN, busy,
        range_start=at("2050-09-05T00:00:00+02:00"), range_end=at("2050-09-05T23:59:59+02:00"),
        length=timedelta(hours=1), step=timedelta(hours=1), earliest=at("2050-09-05T07:30:00+00:00"),
    )  # fmt: skip
    assert [format_local(s.astimezone(BERLIN)) for s in starts] == ["2050-09-05T11:00:00.000+02:00"]


def test_free_slots_end_is_exclusive() -> None:
    def offered(range_end: str) -> list[str]:
        starts = free_slot_starts(
            MONDAY, BERLIN, [],
            range_start=at("2050-09-05T09:00:00+02:00"), range_end=at(range_end),
            length=timedelta(minutes=30), step=timedelta(minutes=30), earliest=at("2050-01-01T00:00:00+00:00"),
        )  # fmt: skip
        return [format_local(s.astimezone(BERLIN))[11:16] for s in starts]

    assert offered("2050-09-05T10:00:00+02:00") == ["09:00", "09:30"]
    assert offered("2050-09-05T10:00:00.001+02:00") == ["09:00", "09:30", "10:00"]


def test_a_date_only_slots_end_runs_to_the_next_midnight_in_the_requested_zone() -> None:
    query = parse_slots_query(
        {"start": "2050-09-05", "end": "2050-09-05", "eventTypeId": "7", "timeZone": "Asia/Tokyo"}
    )
    assert (query.range_start.isoformat(), query.range_end.isoformat()) == (
        "2050-09-05T00:00:00+09:00", "2050-09-06T00:00:00+09:00",
    )  # fmt: skip
    assert (query.event_type_id, query.utc_as_z) == (7, False)
    assert parse_slots_query({"start": "2050-09-05", "end": "2050-09-05T12:00:00Z", "eventTypeId": "7"}).utc_as_z


@pytest.mark.parametrize(
    ("text", "signed", "number"),
    [
        ("42", False, 42), ("-42", True, -42), ("-42", False, None), ("007", False, 7), ("²", False, None),
        ("١٢", False, None), ("4²", False, None), (" 4", False, None), ("+4", True, None), ("4.0", False, None),
        ("", False, None), ("9" * 5000, False, 10**19), ("-" + "9" * 30, True, -(10**19)),
    ],
)  # fmt: skip
def test_numbers_are_read_from_ascii_digits_only(text: str, signed: bool, number: int | None) -> None:
    """``"²".isdigit()`` is true and ``int("١٢")`` is 12; Cal.com (JavaScript, ``\\d``) reads neither as a number."""
    assert ascii_int(text, signed=signed) == number


def test_path_ids_are_parsed_like_nests_parse_int_pipe_within_64_bits() -> None:
    assert parse_path_id("userId", str(INT64_MAX)) == INT64_MAX
    assert parse_path_id("userId", "-3") == -3
    for text, message in (
        ("²", NUMERIC_STRING_EXPECTED),
        ("1e3", NUMERIC_STRING_EXPECTED),
        (str(INT64_MAX + 1), f"userId must not be greater than {INT64_MAX}"),
        (str(-(2**64)), f"userId must not be less than {-INT64_MAX - 1}"),
        ("-" + "9" * 5000, f"userId must not be less than {-INT64_MAX - 1}"),
    ):
        with pytest.raises(ApiError) as caught:
            parse_path_id("userId", text)
        assert (caught.value.status, caught.value.message) == (400, message)


def test_slots_grouped_by_requested_zone_date() -> None:
    late = at("2050-09-05T23:30:00+00:00")
    grouped = group_by_local_date([late], BERLIN)
    assert list(grouped) == ["2050-09-06"]
    assert format_local(grouped["2050-09-06"][0]) == "2050-09-06T01:30:00.000+02:00"


def test_booking_must_fit_one_working_interval() -> None:
    assert within_working_hours((at("2050-09-05T09:00:00+02:00"), at("2050-09-05T12:00:00+02:00")), MONDAY, BERLIN)
    assert not within_working_hours((at("2050-09-05T11:30:00+02:00"), at("2050-09-05T12:30:00+02:00")), MONDAY, BERLIN)


def test_fault_rate_uses_injected_rng_and_count_is_consumed_only_on_hits() -> None:
    injector = FaultInjector(rng=random.Random(7))
    injector.set(FaultConfig.from_json({"status": 503, "rate": 0.5, "count": 3}))
    decisions = [injector.decide("GET", "/v2/me") is not None for _ in range(20)]
    expected_rng = random.Random(7)
    expected, hits = [], 0
    for _ in range(20):
        hit = hits < 3 and expected_rng.random() < 0.5
        hits += hit
        expected.append(hit)
    assert decisions == expected and sum(decisions) == 3
    assert injector.config is None


def test_faults_skip_admin_paths_and_other_methods() -> None:
    injector = FaultInjector()
    injector.set(FaultConfig.from_json({"status": 500, "method": "POST"}))
    assert injector.decide("POST", "/_sim/reset") is None
    assert injector.decide("GET", "/v2/bookings") is None
    assert injector.decide("post", "/v2/bookings") is not None


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"statusAfterCommit": 404}, "statusAfterCommit"),
        ({"statusAfterCommit": 600}, "statusAfterCommit"),
        ({"statusAfterCommit": "500"}, "statusAfterCommit"),
        ({"statusAfterCommit": True}, "statusAfterCommit"),
        ({"dropAfterCommit": "false"}, "dropAfterCommit"),
        ({"dropAfterCommit": True, "statusAfterCommit": 500}, "exclude each other"),
    ],
)
def test_after_commit_fault_rejects_non_5xx_status_non_bool_drop_and_both_together(body: dict, complaint: str) -> None:
    with pytest.raises(FaultConfigError, match=complaint):
        FaultConfig.from_json(body)


def test_after_commit_faults_are_marked_and_limited_by_method_and_count() -> None:
    for body in ({"statusAfterCommit": 599}, {"dropAfterCommit": True}, {"hangAfterCommitSeconds": 1}):
        assert FaultConfig.from_json(body).after_commit, body
    assert FaultConfig.from_json({"dropAfterCommit": True, "hangAfterCommitSeconds": 1}).after_commit
    assert not FaultConfig.from_json({"status": 500, "dropAfterCommit": False}).after_commit
    injector = FaultInjector()
    injector.set(FaultConfig.from_json({"dropAfterCommit": True, "method": "POST", "count": 1}))
    assert injector.decide("GET", "/v2/bookings") is None
    hit = injector.decide("POST", "/v2/bookings")
    assert hit is not None and hit.dropAfterCommit
    assert injector.decide("POST", "/v2/bookings") is None


def test_throttler_blocks_after_limit_and_reports_ceiled_seconds() -> None:
    now = [100.0]
    limiter = RateLimiter(RateLimitSettings(limit=2, window_seconds=10, block_seconds=5), monotonic=lambda: now[0])
    assert [limiter.hit("k").remaining for _ in range(2)] == [1, 0]
    blocked = limiter.hit("k")
    assert (blocked.allowed, blocked.remaining, blocked.reset_seconds) == (False, 0, 5)
    now[0] += 4.2
    assert limiter.hit("k").reset_seconds == 1
    now[0] += 6  # block over and window expired
    assert limiter.hit("k").allowed
    assert limiter.hit("other").remaining == 1


def test_pipe_message_joins_failures_with_trailing_spaces() -> None:
    with pytest.raises(ApiError) as caught:
        validate_create({"start": "2050-09-05T07:00:00Z", "eventTypeId": 1, "attendee": {"timeZone": "UTC"}, "x": 1})
    assert caught.value.message == (
        "attendee property is wrong,Attendee must have at least one contact method (email or phone number) "
        "name property is wrong,name must be a string , x property is wrong,property x should not exist "
    )
