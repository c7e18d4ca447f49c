"""The simulator's e-mail check is Cal.com's ``@IsEmail()``: validator.js ``isEmail`` with its default options."""

from __future__ import annotations

import pytest

from calcom_simulator.errors import ApiError
from calcom_simulator.validation import is_email, validate_create


@pytest.mark.parametrize(
    "address",
    [
        "anna@salon-mueller.de",
        "kunde@müller.de",  # Unicode domain
        "jörg@salon.de",  # UTF-8 local part
        "a.b+c@x.co.uk",
        "x@y.xn--p1ai",
        "a" * 64 + "@salon.de",
        '"anna mueller"@salon.de',  # quoted local part
        '"a@b"@salon.de',  # split at the last "@"
        "anna@😀.de",  # a label's \u00a1-\uffff takes both surrogates
    ],
)
def test_accepts_what_validator_js_accepts(address: str) -> None:
    assert is_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "kundin@salon.d",  # one-letter TLD
        "kundin@salon.123",  # numeric TLD
        "😀@salon.de",  # JavaScript sees two surrogates, which the local-part class lacks
        "kundin@salon_x.de",  # underscore
        "kundin@-salon.de",
        "kundin@salon-.de",
        "a..b@x.de",
        ".a@x.de",
        "x@localhost",  # no TLD
        "",
        "no-at-sign",
        "@salon.de",
        "a@b@salon.de",  # an unquoted "@" in the local part
        "anna@salon.😀",  # nor are surrogates letters of a TLD
        "a" * 65 + "@salon.de",  # local part over 64 bytes
        "ü" * 33 + "@salon.de",  # 66 bytes, though only 33 characters
        "a@" + "b" * 64 + ".de",  # a label over 63 characters
        "anna@salon.de\n",  # no trailing newline, unlike Python's "$"
        "anna@[127.0.0.1]",  # no IP domains by default
        "Anna <anna@salon.de>",  # no display names by default
        "anna@salon.de.",  # no trailing dot
        "anna@ｓalon.de",  # full-width letter
        "anna@salon.\ud800de",  # lone surrogate: validator.js's encodeURI would throw
        None,
        42,
    ],
)
def test_rejects_what_validator_js_rejects(address: object) -> None:
    assert not is_email(address)


def test_create_reports_a_bad_attendee_email_as_cal_com_does() -> None:
    body = {
        "start": "2050-09-05T07:00:00Z",
        "eventTypeId": 1,
        "attendee": {"name": "Kundin", "timeZone": "Europe/Berlin", "email": "kundin@salon.d"},
    }
    with pytest.raises(ApiError) as caught:
        validate_create(body)
    assert caught.value.message == "attendee property is wrong, email property is wrong,email must be an email "


def test_create_reports_a_bad_guest_email() -> None:
    body = {
        "start": "2050-09-05T07:00:00Z",
        "eventTypeId": 1,
        "attendee": {"name": "Kundin", "timeZone": "Europe/Berlin", "email": "kundin@salon.de"},
        "guests": ["gast@salon.de", "gast@salon.d"],
    }
    with pytest.raises(ApiError) as caught:
        validate_create(body)
    assert caught.value.message == "guests property is wrong,each value in guests must be an email "
