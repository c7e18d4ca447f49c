"""Pure rules behind the review-board actions: cancellation reasons, contact form checks, agent-facing wording."""

from __future__ import annotations

import pytest

from ops_ui.actions.cancel import REASONS, _calcom_reason, cancellation_reason, reason_problems
from ops_ui.actions.contact import NEED_ONE, contact_problems
from ops_ui.actions.results import failure_sentence, outcome_sentence
from ops_ui.categories import ErrorCategory
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.writes import Verdict, WriteOutcome
from ops_ui.models import SyncOperation


@pytest.mark.parametrize("code", sorted(set(REASONS) - {"other"}))
def test_listed_reasons_need_no_words(code):
    assert reason_problems(code, None) == {}


@pytest.mark.parametrize(
    ("code", "text", "field"),
    [
        (None, None, "reason_code"),
        ("", "x", "reason_code"),
        ("nope", None, "reason_code"),
        ("other", " ", "reason_text"),
    ],
)
def test_missing_unknown_or_wordless_other_reasons_are_form_errors(code, text, field):
    assert field in reason_problems(code, text)


def test_reason_is_stored_as_code_and_words_and_sent_to_calcom_as_label_and_words():
    stored = cancellation_reason("other", "  Salon wegen Wasserschaden zu ")
    assert stored == "other: Salon wegen Wasserschaden zu"
    assert _calcom_reason(stored) == "Other: Salon wegen Wasserschaden zu"
    assert _calcom_reason(cancellation_reason("duplicate", None)) == "Duplicate appointment"


@pytest.mark.parametrize(
    ("email", "phone", "fields"),
    [
        (None, None, {"email"}),
        ("erika@kunden-mail.de", None, set()),
        (None, "+49 170 1234567", set()),
        (None, "anonymous_1712345678_ab12cd", {"phone"}),
        ("noreply@kunden-mail.de", "+49 170 1234567", {"email"}),
        ("erika@kunden-mail.de", "030 1234567", {"phone"}),
    ],
)
def test_contact_needs_one_usable_way_to_reach_the_customer_and_no_unusable_one(email, phone, fields):
    assert set(contact_problems(email, phone)) == fields


def test_an_empty_contact_asks_for_either():
    assert contact_problems(None, None) == {"email": NEED_ONE}


def test_agent_wording_says_who_refused():
    refused = BookingFailure(ErrorCategory.HOST_CONFLICT, "User either already has booking", 400)
    assert failure_sentence(refused) == "Cal.com refused: User either already has booking"


def test_a_rate_limit_is_a_wait_not_a_refusal():
    throttled = BookingFailure(ErrorCategory.RATE_LIMITED, "ThrottlerException: Too Many Requests", 429, 37)
    assert failure_sentence(throttled) == "Cal.com is rate-limiting us; try again in 37 s."


def test_a_lost_answer_checked_afterwards_says_plainly_that_nothing_was_made():
    lost = BookingFailure(ErrorCategory.TIMEOUT, "HTTPConnectionPool(...): Read timed out.", None, waited_seconds=10)
    outcome = WriteOutcome(Verdict.NOT_DONE, failure=lost, checked=True)
    sentence = outcome_sentence(outcome, SyncOperation.CREATE)
    assert sentence == "Cal.com did not answer within 10 s; we checked and no booking was made — you can try again."
    assert "HTTPConnectionPool" not in sentence


def test_an_unchecked_lost_answer_says_the_appointment_is_uncertain():
    lost = BookingFailure(ErrorCategory.SERVER_ERROR, "Internal server error", 500)
    outcome = WriteOutcome(Verdict.UNCERTAIN, failure=lost, lookup_failure=lost)
    sentence = outcome_sentence(outcome, SyncOperation.RESCHEDULE)
    assert sentence.startswith("Cal.com answered with a server error (HTTP 500), and checking whether it moved")
    assert "marked uncertain" in sentence


def test_a_request_never_sent_says_the_time_ran_out():
    late = BookingFailure(ErrorCategory.TIMEOUT, "POST /v2/bookings was not sent", None, sent=False)
    assert (
        failure_sentence(late)
        == "The time allowed for this action ran out before Cal.com was asked; nothing was changed."
    )
