"""The rate budget's rules, as pure functions of a state, a clock reading and Cal.com's headers."""

from __future__ import annotations

from ops_ui.calcom.budget import BudgetState, corrected, take, used_now


def _headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit-Default": str(limit),
        "X-RateLimit-Remaining-Default": str(remaining),
        "X-RateLimit-Reset-Default": str(reset),
    }


def test_a_window_grants_the_limit_less_the_headroom_then_waits_for_its_end():
    state, granted = BudgetState(), 0
    for _ in range(10):
        state, wait = take(state, 1000.0, limit=5, headroom=2)
        granted += wait == 0
    assert granted == 3
    assert take(state, 1030.0, limit=5, headroom=2)[1] == 30.0  # the window opened at 1000 ends at 1060
    assert take(state, 1060.0, limit=5, headroom=2)[1] == 0  # a new window


def test_calcoms_count_and_its_later_window_end_win():
    mine = BudgetState(window_ends=1060.0, used=1)
    # Others used the key too: Cal.com counts 50 of 120, and its window ends at 1065.
    state = corrected(mine, 1010.0, 200, _headers(120, 70, 55))
    assert (state.used, state.window_ends, state.limit) == (50, 1065.0, 120)


def test_a_window_that_began_before_ours_is_adopted_with_its_own_count():
    mine = BudgetState(window_ends=1005.0, used=100)
    state = corrected(mine, 1000.0, 200, _headers(120, 119, 60))
    assert (state.used, state.window_ends) == (1, 1060.0)


def test_the_limit_cal_com_announces_replaces_the_configured_one():
    state = corrected(BudgetState(), 1000.0, 200, _headers(600, 599, 60))
    granted = 0
    for _ in range(700):
        state, wait = take(state, 1001.0, limit=120, headroom=2)
        granted += wait == 0
    assert granted == 598 - 1  # Cal.com already counted one


def test_a_429_blocks_until_the_reset_it_announces():
    state = corrected(BudgetState(window_ends=1060.0, used=3), 1000.0, 429, {"X-RateLimit-Reset-Default": "42"})
    assert take(state, 1010.0, limit=120, headroom=2)[1] == 32.0
    assert take(state, 1042.0, limit=120, headroom=2)[1] == 0


def test_a_429_without_headers_blocks_a_whole_window():
    state = corrected(BudgetState(), 1000.0, 429, {})
    assert take(state, 1000.0, limit=120, headroom=2)[1] == 60.0


def test_answers_without_rate_headers_change_nothing_and_used_counts_only_the_running_window():
    state = BudgetState(window_ends=1060.0, used=7)
    assert corrected(state, 1001.0, 200, {}) == state
    assert (used_now(state, 1059.0), used_now(state, 1060.0)) == (7, 0)


def test_the_earliest_answer_is_kept_as_the_windows_end_and_replaces_our_own_guess():
    guessed = BudgetState(window_ends=1059.9, used=1)  # our guess when the window opened, before any answer
    first = corrected(guessed, 1000.5, 200, _headers(120, 119, 60))
    assert first.window_ends == 1060.5  # an answer's end is never early; ours may be
    second = corrected(first, 1010.2, 200, _headers(120, 118, 50))
    assert second.window_ends == 1060.2  # rounded up less: closer to the real end, still not before it
    assert corrected(second, 1020.9, 200, _headers(120, 117, 40)).window_ends == 1060.2
