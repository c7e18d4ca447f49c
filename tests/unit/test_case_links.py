"""The links out of a case: a number to dial, never an anonymous caller id; a booking in Cal.com's web app."""

from __future__ import annotations

from flask import Flask

from ops_ui.cases.links import booking_url, tel_href


def test_a_phone_number_is_dialled_by_its_digits_and_a_leading_plus():
    assert tel_href("+49 (30) 123-4567") == "tel:+49301234567"
    assert tel_href("030 1234+567") == "tel:0301234567"


def test_an_anonymous_caller_id_or_a_number_without_digits_is_not_dialled():
    assert tel_href("anonymous_4915_ab12") is None
    assert tel_href("unbekannt") is None
    assert tel_href(None) is None


def test_the_booking_uid_is_one_quoted_path_segment_under_the_configured_web_app():
    app = Flask(__name__)
    app.config["CALCOM_WEB_URL"] = "https://cal.salon.test/"
    with app.app_context():
        assert booking_url("a/b?c") == "https://cal.salon.test/booking/a%2Fb%3Fc"
