"""German pages: the board, its rows and the dashboard speak the language of the user, else of the company.

The suite's default language is English (``DEFAULT_LOCALE`` in tests/conftest.py), so every German word here comes
from a user's or a company's choice, never from the app's fallback.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user

from ops_ui import create_app
from ops_ui.actions.results import failure_sentence
from ops_ui.categories import ErrorCategory
from ops_ui.engine.failures import BookingFailure
from ops_ui.extensions import db
from ops_ui.formatting import duration, relative_time
from ops_ui.i18n import in_english
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    BulkRun,
    BulkRunState,
    Call,
    Company,
    DeliveryOutcome,
    ReconciliationRun,
    Role,
    SyncStatus,
    User,
    WebhookDelivery,
)
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user
from tests.support.salon import book_directly, make_salon_appointment, make_synced_salon, slot_start

WEDNESDAY_10_BERLIN = datetime(2028, 12, 6, 9, 0, tzinfo=UTC)
"""Wednesday 6 December 2028, 10:00 in Berlin (CET, UTC+1): far enough ahead to stay on the default board."""
GERMAN_START = "Mi., 6. Dez. 2028, 10:00 MEZ"
ENGLISH_START = "Wed 06 Dec 2028, 10:00 CET"


def _salon(locale: str | None = "de") -> Company:
    company = make_company()
    company.locale = locale
    db.session.commit()
    return company


def _failed(company: Company) -> Appointment:
    return make_appointment(
        make_customer(company),
        make_service(company),
        make_staff(company),
        starts_at=WEDNESDAY_10_BERLIN,
        sync_status=SyncStatus.FAILED,
        last_error_category=ErrorCategory.VALIDATION_ERROR,
        last_error_message="attendee.email must be an email",
        attempt_count=1,
    )


def _choose(client: FlaskClient, locale: str) -> None:
    token = csrf_token(client, "/account/language")
    response = client.post("/account/language", data={"locale": locale, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)


def _stored_locale(user: User) -> str | None:
    db.session.expire_all()  # the request committed in its own session
    return db.session.get(User, user.id).locale  # type: ignore[union-attr]


def _board(client: FlaskClient) -> str:
    response = client.get("/review")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_board_speaks_german_for_a_german_salon_with_german_dates(app: Flask, client: FlaskClient) -> None:
    company = _salon("de")
    _failed(company)
    login(client, make_user(Role.AGENT, company=company))

    page = _board(client)

    assert '<html lang="de">' in page
    assert "<h1>Prüfliste</h1>" in page
    for words in ("Sync wiederholen", "Verschieben", "Neu zuweisen", "Kontakt bearbeiten", "Termin absagen"):
        assert words in page
    assert f">{GERMAN_START}</time>" in page
    assert "2 Std. 15 Min." in page  # the service's duration
    assert "Retry sync" not in page and "Review board" not in page


def test_a_board_row_fetched_by_htmx_is_german_too(app: Flask, client: FlaskClient) -> None:
    company = _salon("de")
    appointment = _failed(company)
    login(client, make_user(Role.AGENT, company=company))

    response = client.get(f"/review/{appointment.id}/row", headers=HTMX_HEADERS)

    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.startswith(f'<tbody id="appt-{appointment.id}"')
    assert "Sync wiederholen" in fragment and f">{GERMAN_START}</time>" in fragment
    assert "Retry sync" not in fragment


def test_the_dashboard_speaks_german_with_the_time_in_german(app: Flask, client: FlaskClient) -> None:
    company = _salon("de")
    _failed(company)
    login(client, make_user(Role.MANAGER, company=company))

    page = client.get("/health").get_data(as_text=True)

    assert "<h1>Sync-Status</h1>" in page
    for words in ("Erfolgsquote (24 Std.)", "Kritische Termine", "Nach Kategorie", "Letzte 30 Tage"):
        assert words in page
    # "Stand: Mi., 2. Dez. 2026, 01:20 MEZ" — the figures' moment in German, in the salon's time zone.
    assert re.search(
        r"Stand: <time datetime=\"[^\"]+\">(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{1,2}\. \w+\.? \d{4}, \d\d:\d\d MES?Z<", page
    )
    assert "Success rate (24 h)" not in page


def test_a_user_who_picks_english_reads_english_in_a_german_salon(app: Flask, client: FlaskClient) -> None:
    company = _salon("de")
    _failed(company)
    user = make_user(Role.AGENT, company=company)
    login(client, user)

    _choose(client, "en")

    page = _board(client)
    assert '<html lang="en">' in page and "<h1>Review board</h1>" in page
    assert "Retry sync" in page and f">{ENGLISH_START}</time>" in page
    assert "Your language is saved." in page  # the message of the switch, already in the new language
    assert _stored_locale(user) == "en"


def test_a_user_who_picks_german_reads_german_in_a_salon_without_a_language(app: Flask, client: FlaskClient) -> None:
    company = _salon(None)
    _failed(company)
    login(client, make_user(Role.AGENT, company=company))
    assert "<h1>Review board</h1>" in _board(client)  # the suite's default

    _choose(client, "de")

    page = _board(client)
    assert "<h1>Prüfliste</h1>" in page and f">{GERMAN_START}</time>" in page
    assert "Ihre Sprache ist gespeichert." in page


def test_the_language_page_offers_both_languages_and_refuses_others(app: Flask, client: FlaskClient) -> None:
    user = make_user(Role.MANAGER, company=_salon("de"))
    login(client, user)

    page = client.get("/account/language").get_data(as_text=True)
    assert '<h1 id="language-title">Ihre Sprache</h1>' in page
    assert '<option lang="de" selected value="de">Deutsch</option>' in page  # each language named in itself
    assert '<option lang="en" value="en">English</option>' in page

    token = csrf_token(client, "/account/language")
    refused = client.post("/account/language", data={"locale": "fr", "csrf_token": token})
    assert refused.status_code == 422
    assert _stored_locale(user) is None


def test_changing_the_language_needs_a_session_and_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    user = make_user(Role.AGENT, company=_salon("de"))

    anonymous = client.post("/account/language", data={"locale": "en"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    login(client, user)
    forged = client.post("/account/language", data={"locale": "en"})
    assert forged.status_code == 400
    assert _stored_locale(user) is None


def test_the_sign_in_page_is_german_when_the_default_is_german(app: Flask, app_config: dict[str, object]) -> None:
    """The product's default (``SYNC_DESK_DEFAULT_LOCALE`` unset): nobody is signed in, so no one has chosen."""
    german = create_app({**app_config, "DEFAULT_LOCALE": "de"}).test_client()

    page = german.get("/login").get_data(as_text=True)

    assert '<html lang="de">' in page
    assert '<h1 id="login-title">Anmelden</h1>' in page and ">Passwort</label>" in page


def test_relative_times_and_durations_follow_the_language_of_the_request(app: Flask) -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    user = make_user(Role.AGENT, company=_salon("de"))
    with app.test_request_context("/review"):
        login_user(user)
        assert relative_time(now + timedelta(days=3), now) == "in 3 Tagen"
        assert relative_time(now - timedelta(days=1, hours=1), now) == "vor 1 Tag"
        assert relative_time(now - timedelta(hours=2), now) == "vor 2 Std."
        assert relative_time(now, now) == "gerade eben"
        assert duration(135) == "2 Std. 15 Min."


def test_a_page_finds_the_catalogue_once_per_language_not_once_per_text(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A board row asks for some ten texts from Python code (times, durations, its category): each used to find the
    locale and its catalogue anew."""
    company = _salon("de")
    for _ in range(3):
        _failed(company)
    found: list[str] = []
    original = flask_babel.Domain.get_translations

    def counted(domain: flask_babel.Domain) -> Any:
        translations = original(domain)
        found.append(str(flask_babel.get_locale()))
        return translations

    monkeypatch.setattr(flask_babel.Domain, "get_translations", counted)
    login(client, make_user(Role.AGENT, company=company))

    german = _board(client)
    _board(client)  # the next request finds it again: the same language, not a new catalogue
    _choose(client, "en")
    english = _board(client)

    assert "2 Std. 15 Min." in german and "2 h 15 min" in english  # the service's duration, worded in Python
    assert sorted(found) == ["de", "en"], found


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _signed_in(client: FlaskClient, role: Role, company_locale: str) -> tuple[User, Company]:
    company = _salon(company_locale)
    user = make_user(role, company=company)
    login(client, user)
    return user, company


def test_the_appointment_page_speaks_german_and_english_to_an_english_user(app: Flask, client: FlaskClient) -> None:
    _, company = _signed_in(client, Role.AGENT, "de")
    appointment = _failed(company)

    page = _page(client, f"/review/{appointment.id}")
    assert f"<h1>Termin #{appointment.id}</h1>" in page
    for words in ("Fehler seit", "Nächster automatischer Versuch", "Anrufe", "Austausch mit Cal.com", "Verlauf"):
        assert words in page
    assert "Cal.com wurde für diesen Termin noch nicht aufgerufen." in page
    assert "Ungültige Angaben" in page  # the error category's label
    assert "attendee.email must be an email" in page  # Cal.com's own words stay as Cal.com wrote them
    assert "Failing since" not in page and "Audit trail" not in page and "Validation error" not in page

    _choose(client, "en")
    english = _page(client, f"/review/{appointment.id}")
    assert f"<h1>Appointment #{appointment.id}</h1>" in english and "Failing since" in english
    assert "Validation error" in english and "Fehler seit" not in english


def test_the_bulk_run_page_speaks_german(app: Flask, client: FlaskClient) -> None:
    user, _ = _signed_in(client, Role.AGENT, "de")
    run = BulkRun(company_id=user.company_id, started_by_id=user.id, state=BulkRunState.DONE, total=0)
    db.session.add(run)
    db.session.commit()

    page = _page(client, f"/review/bulk/{run.id}")
    assert f"<h1>Sammel-Synchronisierung #{run.id}</h1>" in page
    assert "unveränderte fachliche Fehler werden übersprungen" in page
    assert "Sammel-Synchronisierung fertig" in page and "Zurück zur Prüfliste" in page
    assert "Bulk retry finished" not in page

    _choose(client, "en")
    assert "Bulk retry finished" in _page(client, f"/review/bulk/{run.id}")


def test_the_clean_up_page_speaks_german_with_the_count_in_a_sentence(app: Flask, client: FlaskClient) -> None:
    _, company = _signed_in(client, Role.AGENT, "de")
    make_appointment(
        make_customer(company), make_service(company), make_staff(company),
        starts_at=datetime.now(UTC) - timedelta(days=2), sync_status=SyncStatus.FAILED,
    )  # fmt: skip

    page = _page(client, "/review/clean-up?time=past")
    assert "<h1>Nicht mehr synchronisierbar</h1>" in page
    assert re.search(r"<strong data-cleanup-count>1</strong> Termin von .+ hat begonnen, bevor er in Cal.com", page)
    assert "1 Termin schließen" in page and "Nicht jetzt" in page
    assert "Close 1 appointment" not in page

    _choose(client, "en")
    assert "Close 1 appointment" in _page(client, "/review/clean-up?time=past")


def test_the_desync_page_speaks_german(app: Flask, client: FlaskClient) -> None:
    user, _ = _signed_in(client, Role.MANAGER, "de")
    db.session.add(Call(company_id=user.company_id, external_call_id="call-de-1", booking_confirmed=True))
    db.session.commit()

    page = _page(client, "/health/desync")
    assert "<h1>Bestätigte Anrufe ohne Termin</h1>" in page
    assert '<strong data-figure="desync">1</strong> bestätigter Anruf ohne Termin.' in page
    assert "Zurück zum Sync-Status" in page and ">Anrufer</th>" in page
    assert "Back to health" not in page

    _choose(client, "en")
    english = _page(client, "/health/desync")
    assert '<strong data-figure="desync">1</strong> confirmed call without appointment.' in english


def test_the_reconciliation_page_speaks_german(app: Flask, client: FlaskClient) -> None:
    user, _ = _signed_in(client, Role.MANAGER, "de")
    now = datetime.now(UTC)
    db.session.add(
        ReconciliationRun(
            company_id=user.company_id, window_start=now - timedelta(days=1), window_end=now + timedelta(days=14),
            started_at=now, finished_at=now, bookings_seen=3, appointments_seen=2,
        )
    )  # fmt: skip
    db.session.commit()

    page = _page(client, "/reconcile")
    assert "<h1>Abgleich mit Cal.com</h1>" in page and "Jetzt abgleichen" in page
    assert "stündlicher Abgleich" in page and "3 Buchungen in Cal.com, 2 Termine als synchronisiert geführt" in page
    assert "Alles stimmt überein: nichts zu beheben." in page
    assert "Everything is in step" not in page

    _choose(client, "en")
    assert "Everything is in step: nothing to repair." in _page(client, "/reconcile")


def test_an_action_answers_the_agent_in_german_and_in_english(app: Flask, client: FlaskClient) -> None:
    _, company = _signed_in(client, Role.AGENT, "de")
    appointment = make_appointment(
        make_customer(company), make_service(company), make_staff(company), status=AppointmentStatus.CANCELLED
    )

    def retry() -> str:
        token = csrf_token(client, f"/review/{appointment.id}")
        response = client.post(
            f"/review/{appointment.id}/retry",
            data={"version": appointment.version, "csrf_token": token},
            headers=HTMX_HEADERS,
        )
        return response.get_data(as_text=True)

    assert "Der Termin hat den Status „abgesagt“; es gibt nichts zu synchronisieren." in retry()
    _choose(client, "en")
    assert "The appointment is cancelled; there is nothing to sync." in retry()


def test_cal_coms_refusal_is_worded_per_reader_with_cal_coms_text_verbatim_and_escaped(app: Flask) -> None:
    user = make_user(Role.AGENT, company=_salon("de"))
    sentence = failure_sentence(BookingFailure(ErrorCategory.HOST_CONFLICT, "<b>Host busy</b>", http_status=409))
    with app.test_request_context("/review"):
        login_user(user)
        assert str(sentence) == "Cal.com hat abgelehnt: <b>Host busy</b>"
        assert in_english(sentence) == "Cal.com refused: <b>Host busy</b>"  # what is stored stays English
        page = app.jinja_env.from_string("{{ message }}").render(message=sentence)
        assert page == "Cal.com hat abgelehnt: &lt;b&gt;Host busy&lt;/b&gt;"


def test_the_users_page_speaks_german_with_roles_and_states_in_german(app: Flask, client: FlaskClient) -> None:
    _signed_in(client, Role.ADMIN, "de")

    page = _page(client, "/admin/users")

    assert "<h1>Benutzer</h1>" in page and "Benutzer anlegen" in page
    assert "<td>Administrator</td>" in page and "<td>aktiv</td>" in page  # the role and state words, in German
    assert '<option value="agent">Agent</option>' in page and "Rolle" in page
    assert "Add a user" not in page and "<td>admin</td>" not in page

    _choose(client, "en")
    english = _page(client, "/admin/users")
    assert "<h1>Users</h1>" in english and "<td>admin</td>" in english and "<td>active</td>" in english


def test_a_refused_admin_form_answers_in_german(app: Flask, client: FlaskClient) -> None:
    _signed_in(client, Role.ADMIN, "de")
    token = csrf_token(client, "/admin/users")

    response = client.post("/admin/users", data={"email": "", "role": "agent", "csrf_token": token})

    assert response.status_code == 422
    assert "Geben Sie eine E-Mail-Adresse ein." in response.get_data(as_text=True)


def test_the_deliveries_page_speaks_german_with_outcomes_in_german(app: Flask, client: FlaskClient) -> None:
    _, company = _signed_in(client, Role.ADMIN, "de")
    db.session.add(
        WebhookDelivery(
            trigger="BOOKING_CANCELLED",
            booking_uid="uid-1",
            raw_body="{}",
            signature_valid=True,
            outcome=DeliveryOutcome.ALREADY_IN_STEP,
            note="The appointment is cancelled already.",
            replay_key="k1",
            company_id=company.id,
        )
    )
    db.session.commit()

    page = _page(client, "/webhooks/deliveries")

    assert "<h1>Cal.com-Webhooks</h1>" in page and "Zustellungen" in page and "Externe Buchungen" in page
    assert ">stimmte schon überein</span>" in page
    assert "The appointment is cancelled already." in page  # the stored note stays as stored
    assert "already in step" not in page

    _choose(client, "en")
    assert ">already in step</span>" in _page(client, "/webhooks/deliveries")


def test_the_staff_duplicates_page_speaks_german(app: Flask, client: FlaskClient) -> None:
    _, company = _signed_in(client, Role.ADMIN, "de")
    make_staff(company, "Fabian Spitzer")
    make_staff(company, "Fabian  Spitzer")

    page = _page(client, "/staff/duplicates")

    assert "<h1>Mitarbeitereinträge derselben Person</h1>" in page
    assert "(gleicher Name)" in page and "In den behaltenen Eintrag zusammenführen" in page
    assert "same name" not in page and "Merge into the kept record" not in page

    _choose(client, "en")
    english = _page(client, "/staff/duplicates")
    assert "(same name)" in english and "Merge into the kept record" in english


def test_the_not_found_page_speaks_german(app: Flask, client: FlaskClient) -> None:
    _signed_in(client, Role.AGENT, "de")

    response = client.get("/review/999999999")

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Nicht gefunden" in page and "Hier gibt es nichts, oder Sie dürfen es nicht sehen." in page
    assert "Zurück zur Prüfliste" in page and "Not found" not in page

    _choose(client, "en")
    english = client.get("/review/999999999").get_data(as_text=True)
    assert "Not found" in english and "There is nothing here, or you cannot see it." in english


def test_a_cancel_answers_the_agent_in_german_and_stores_its_reason_as_a_code(app: Flask, client: FlaskClient) -> None:
    _, company = _signed_in(client, Role.AGENT, "de")
    customer, service, staff = make_customer(company), make_service(company), make_staff(company)
    first = make_appointment(customer, service, staff, starts_at=WEDNESDAY_10_BERLIN)
    second = make_appointment(customer, service, staff, starts_at=WEDNESDAY_10_BERLIN + timedelta(days=1))

    def cancel(appointment: Appointment) -> str:
        token = csrf_token(client, f"/review/{appointment.id}")
        response = client.post(
            f"/review/{appointment.id}/cancel",
            data={"version": appointment.version, "reason_code": "customer_request", "csrf_token": token},
            headers=HTMX_HEADERS,
        )
        return response.get_data(as_text=True)

    assert "Termin abgesagt (es gab keine Cal.com-Buchung)." in cancel(first)
    _choose(client, "en")
    assert "Appointment cancelled (there was no Cal.com booking)." in cancel(second)
    db.session.expire_all()
    assert db.session.get(Appointment, first.id).cancellation_reason == "customer_request"  # type: ignore[union-attr]


GERMAN_SLOT = re.compile(r"[A-Z][a-z]\., \d{1,2}\. [A-ZÄ][a-zä]+\.? \d{4}, 10:30 MES?Z")
"""A slot at 10:30 Berlin time as German readers write it: ``Mi., 2. Dez. 2026, 10:30 MEZ``."""
ENGLISH_SLOT = re.compile(r"[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{4}, 10:30 CES?T")


@pytest.mark.calcom_simulator(timeout=0.5)
def test_a_reschedule_and_a_refused_reassign_answer_in_the_readers_language_and_date_format(
    app: Flask, client: FlaskClient, sim: Any
) -> None:
    salon = make_synced_salon(sim.admin)
    salon.agent.locale = "de"
    db.session.commit()
    login(client, salon.agent)

    def move_then_hand_to_a_busy_colleague(days_ahead: int) -> tuple[str, str]:
        appointment = make_salon_appointment(salon, start=slot_start(days_ahead))
        new_start = slot_start(days_ahead + 1)
        book_directly(sim, salon.colleague_event_type_id, new_start)
        token = csrf_token(client, f"/review/{appointment.id}")
        moved = client.post(
            f"/review/{appointment.id}/reschedule",
            data={"version": appointment.version, "start": new_start.isoformat(), "csrf_token": token},
            headers=HTMX_HEADERS,
        )
        assert moved.status_code == 200
        db.session.expire_all()
        version = db.session.get(Appointment, appointment.id).version  # type: ignore[union-attr]
        refused = client.post(
            f"/review/{appointment.id}/reassign",
            data={"version": version, "staff_id": salon.colleague.id, "csrf_token": token},
            headers=HTMX_HEADERS,
        )
        assert refused.status_code == 422
        return moved.get_data(as_text=True), refused.get_data(as_text=True)

    moved, refused = move_then_hand_to_a_busy_colleague(2)
    assert re.search(rf"Verschoben auf {GERMAN_SLOT.pattern}; Cal.com-Buchung ", moved), moved[-1500:]
    assert "Rescheduled" not in moved
    assert "Mia Wagner ist zu dieser Zeit in Cal.com nicht frei: Cal.com bietet diese Zeit nicht an." in refused

    _choose(client, "en")
    moved, refused = move_then_hand_to_a_busy_colleague(4)
    assert re.search(rf"Rescheduled to {ENGLISH_SLOT.pattern}; Cal.com booking ", moved), moved[-1500:]
    assert "Mia Wagner is not free at this time in Cal.com: Cal.com does not offer this time." in refused
