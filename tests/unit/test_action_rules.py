"""Pure rules behind the review-board actions: cancellation reasons, contact form checks, agent-facing wording."""

from __future__ import annotations

import pytest

from ops_ui.actions.cancel import REASONS, _calcom_reason, cancellation_reason, reason_problems
from ops_ui.actions.contact import NEED_ONE, contact_problems
from ops_ui.actions.results import calcom_sentence
from ops_ui.calcom.categories import ErrorCategory
from ops_ui.engine.booking import BookingFailure


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


def test_agent_wording_says_who_refused_and_when_there_was_no_real_answer():
    refused = BookingFailure(ErrorCategory.HOST_CONFLICT, "User either already has booking", 400)
    lost = BookingFailure(ErrorCategory.TIMEOUT, "no answer within 0.5s", None)
    assert calcom_sentence(refused) == "Cal.com refused: User either already has booking"
    assert calcom_sentence(lost) == "Cal.com did not confirm (timeout): no answer within 0.5s"
