"""The board's actions through the views, against the Cal.com simulator: success and failure paths, what the
answer looks like (row, status, event, toast) and that nothing local changes when Cal.com does not agree."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import support
from flask.testing import FlaskClient

from ops_ui.actions.contact import update_contact
from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.claims import claim, release
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, Role, SyncAttempt, SyncStatus, User
from tests.support import factories, records
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.records import state_of
from tests.support.salon import Salon, active_bookings, book_directly, make_synced_salon, slot_start
from tests.support.statements import statements_run_by

ZONE = ZoneInfo("Europe/Berlin")
RETRY_STATEMENTS = 12
"""A retry Cal.com agrees to: the user, the row, the claim, the event type, the mark of the write before it is sent,
the attempt and its tally, the outcome with its audit event and the claim's end, the fresh row and the row's duplicate
look-up. Nothing else is read twice."""


pytestmark = pytest.mark.calcom_simulator(timeout=0.5)


@pytest.fixture
def salon(app, sim) -> Salon:
    return make_synced_salon(sim.admin)


@pytest.fixture
def agent(salon: Salon) -> User:
    return salon.agent


@pytest.fixture
def htmx(client: FlaskClient, agent: User) -> Any:
    """POST/GET as htmx does: CSRF in the header (from <body hx-headers>), HX-Request set."""
    login(client, agent)
    token = csrf_token(client, "/review")
    headers = {**HTMX_HEADERS, "X-CSRFToken": token}

    class Htmx:
        def get(self, path: str):
            return client.get(path, headers=headers)

        def post(self, path: str, **data: Any):
            return client.post(path, data=data, headers=headers)

    return Htmx()


def _conflicted(salon: Salon, sim: Any, start: datetime | None = None, **customer: Any) -> Appointment:
    """A host conflict as in the field: the host's time was taken in Cal.com, so the sync failed."""
    start = start or slot_start()
    book_directly(sim, salon.event_type_id, start, name="Walk-in")
    appointment = factories.make_appointment(
        factories.make_customer(salon.company, **customer), salon.service, salon.staff, start
    )
    assert not sync_appointment(appointment).synced
    return records.fresh(appointment.id)


def _technical_failure(salon: Salon, sim: Any) -> Appointment:
    appointment = factories.make_appointment(
        factories.make_customer(salon.company), salon.service, salon.staff, slot_start(3)
    )
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", status=500, count=1)
    assert not sync_appointment(appointment).synced
    sim.admin.clear_faults()
    return records.fresh(appointment.id)


def _events(response) -> dict[str, Any]:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


def _toast(body: str) -> str:
    match = re.search(r'hx-swap-oob="beforeend:#toasts">\s*<div class="toast[^"]*" role="(\w+)">\s*<span>([^<]*)', body)
    assert match, body[-800:]
    return f"{match.group(1)}: {match.group(2)}"


def _row_of(body: str, appointment: Appointment) -> str:
    start = body.index(f'<tbody id="appt-{appointment.id}"')
    return body[start : body.index("</tbody>", start)]


def _retry_button(row: str) -> str:
    """The row's "Retry sync" button; fails when the row has none."""
    match = re.search(r'<button\b[^>]*hx-post="/review/\d+/retry"[^>]*>\s*Retry sync</button>', row)
    assert match, row
    return match.group(0)


# --- retry ---------------------------------------------------------------------------------------------------------


def test_retry_that_succeeds_shows_the_row_synced_triggers_review_changed_and_a_status_toast(htmx, salon, sim):
    appointment = _technical_failure(salon, sim)

    response = htmx.post(f"/review/{appointment.id}/retry", version=appointment.version)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "review-changed" in _events(response)
    assert ">Synced</span>" in _row_of(body, appointment)
    assert "Retry sync" not in _row_of(body, appointment)
    assert _toast(body).startswith("status: Synced: Cal.com booking")
    fresh = records.fresh(appointment.id)
    assert fresh.sync_status is SyncStatus.SYNCED
    assert [booking["uid"] for booking in active_bookings(sim)] == [fresh.calcom_booking_uid]


def test_a_retry_reads_the_row_once_before_and_once_after_and_its_parts_and_the_agent_not_again(
    client, htmx, salon, sim
):
    appointment = _technical_failure(salon, sim)

    with statements_run_by(client.application) as statements:
        response = htmx.post(f"/review/{appointment.id}/retry", version=appointment.version)

    assert response.status_code == 200
    assert records.fresh(appointment.id).sync_status is SyncStatus.SYNCED
    assert len(statements) == RETRY_STATEMENTS, "\n".join(" ".join(statement.split())[:80] for statement in statements)
    assert len([statement for statement in statements if "FROM user_account" in statement]) == 1


def test_a_retry_reads_no_translation_catalogue_from_disk(htmx, salon, sim, monkeypatch):
    """The catalogues are loaded once per process; an unlabelled form field would have Flask-WTF load WTForms' own
    again for every request, to translate a label nobody sees."""
    appointment = _technical_failure(salon, sim)
    loaded: list[tuple[Any, ...]] = []
    load = support.Translations.load

    def counted(*args: Any, **kwargs: Any) -> Any:
        loaded.append((*args, kwargs))
        return load(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted)

    response = htmx.post(f"/review/{appointment.id}/retry", version=appointment.version)

    assert response.status_code == 200
    assert records.fresh(appointment.id).sync_status is SyncStatus.SYNCED
    assert loaded == []


@pytest.mark.parametrize("fault", [{"status": 429}, {"hangSeconds": 1.0}, {"html502": True}])
def test_retry_while_calcom_is_down_shows_the_new_error_in_the_row_never_a_500(htmx, salon, sim, fault):
    appointment = _technical_failure(salon, sim)
    attempts_before = appointment.attempt_count
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", count=1, **fault)

    response = htmx.post(f"/review/{appointment.id}/retry", version=appointment.version)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _toast(body).startswith("alert: Cal.com")
    fresh = records.fresh(appointment.id)
    assert fresh.sync_status is SyncStatus.FAILED
    # A rate limit is no new failure: the appointment waits for the next window as it was.
    assert fresh.attempt_count == attempts_before + (0 if fault.get("status") == 429 else 1)
    assert fresh.calcom_booking_uid is None
    assert "Retry sync" in _row_of(body, appointment)
    assert not [booking for booking in active_bookings(sim) if booking["metadata"]]


def test_retry_of_an_unchanged_business_failure_asks_for_confirmation_then_retries(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    body = htmx.get("/review").get_data(as_text=True)
    row = _row_of(body, appointment)
    button = _retry_button(row)
    assert 'hx-confirm="The last error needs a person; retrying unchanged input will fail the same way' in button
    assert 'name="force"' not in row  # the confirm dialog is the whole warning; the server reads no flag

    response = htmx.post(f"/review/{appointment.id}/retry", version=appointment.version)

    assert response.status_code == 200
    assert "alert: Cal.com refused" in _toast(response.get_data(as_text=True))
    assert records.fresh(appointment.id).last_error_category is ErrorCategory.HOST_CONFLICT


def test_technical_failure_retry_does_not_warn(htmx, salon, sim):
    appointment = _technical_failure(salon, sim)
    button = _retry_button(_row_of(htmx.get("/review").get_data(as_text=True), appointment))
    assert "hx-confirm" not in button


def test_stale_version_answers_409_naming_who_changed_it_with_the_fresh_row(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    seen_version = appointment.version
    assert update_contact(appointment.id, seen_version, salon.other_agent, "neu@kunden-mail.de", None).ok
    before = state_of(appointment.id)

    response = htmx.post(f"/review/{appointment.id}/retry", version=seen_version)

    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Changed by Olga Other at" in body
    assert "here is the current state" in body
    assert f'name="version" value="{before["version"]}"' in _row_of(body, appointment)
    assert "neu@kunden-mail.de" in body
    assert state_of(appointment.id) == before


def test_a_click_that_meets_the_engine_syncing_answers_409_being_synced_with_the_fresh_row(htmx, salon, sim):
    appointment = _technical_failure(salon, sim)
    held = claim(appointment, appointment.version, None)  # the engine's due pass, in the middle of its sync
    before = state_of(appointment.id)

    response = htmx.post(f"/review/{appointment.id}/retry", version=appointment.version)

    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert _toast(body).startswith("alert: Being synced right now by the sync engine")
    assert "Being synced right now by the sync engine" in _row_of(body, appointment)
    assert state_of(appointment.id) == before
    release(held)


# --- reschedule ----------------------------------------------------------------------------------------------------


def test_reschedule_panel_lists_free_slots_by_day_and_moving_there_resolves_the_conflict(htmx, salon, sim):
    appointment = _conflicted(salon, sim)

    panel = htmx.get(f"/review/{appointment.id}/reschedule")
    body = panel.get_data(as_text=True)
    assert panel.status_code == 200
    own = body[body.index('<fieldset class="slots">') : body.index('<fieldset class="next-free">')]  # own times only
    slots = re.findall(r'name="start" value="([^"]+)"', own)
    assert slots and appointment.starts_at.astimezone(ZONE).isoformat() not in slots  # the taken time is not offered
    assert 'role="group" aria-label="' in body

    target = slots[1]
    response = htmx.post(f"/review/{appointment.id}/reschedule", version=appointment.version, start=target)

    assert response.status_code == 200
    assert "review-changed" in _events(response)
    fresh = records.fresh(appointment.id)
    assert fresh.sync_status is SyncStatus.SYNCED
    assert fresh.starts_at == datetime.fromisoformat(target).astimezone(UTC)
    ours = [booking for booking in active_bookings(sim) if booking["uid"] == fresh.calcom_booking_uid]
    assert len(ours) == 1


def test_reschedule_refused_by_calcom_keeps_the_panel_open_with_why_and_changes_nothing(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    taken = slot_start(2, time(12, 45))
    book_directly(sim, salon.event_type_id, taken)
    before = state_of(appointment.id)

    response = htmx.post(f"/review/{appointment.id}/reschedule", version=appointment.version, start=taken.isoformat())

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cal.com refused: " in body
    assert 'class="panel-row"' in body
    assert state_of(appointment.id) == before


@pytest.mark.parametrize("fault", [{"status": 429}, {"hangSeconds": 1.0}])
def test_reschedule_while_calcom_is_slow_or_throttling_changes_nothing(htmx, salon, sim, fault):
    appointment = _conflicted(salon, sim)
    before = state_of(appointment.id)
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", count=1, **fault)

    response = htmx.post(
        f"/review/{appointment.id}/reschedule", version=appointment.version, start=slot_start(4).isoformat()
    )

    assert response.status_code == 200
    assert "alert: Cal.com" in _toast(response.get_data(as_text=True))
    assert state_of(appointment.id) == before


def test_reschedule_without_a_start_is_a_422_panel(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    response = htmx.post(f"/review/{appointment.id}/reschedule", version=appointment.version)
    assert response.status_code == 422
    assert "Pick one of the free times." in response.get_data(as_text=True)


# --- reassign ------------------------------------------------------------------------------------------------------


def test_reassign_panel_marks_the_colleague_free_and_reassigning_books_them(htmx, salon, sim):
    appointment = _conflicted(salon, sim)

    body = htmx.get(f"/review/{appointment.id}/reassign").get_data(as_text=True)
    assert f"Assign to Mia Wagner (#{salon.colleague.id})" in body
    assert '<span class="badge badge-ok">free</span>' in body

    response = htmx.post(f"/review/{appointment.id}/reassign", version=appointment.version, staff_id=salon.colleague.id)

    assert response.status_code == 200
    assert "status: Reassigned to Mia Wagner" in _toast(response.get_data(as_text=True))
    fresh = records.fresh(appointment.id)
    assert (fresh.staff_id, fresh.sync_status) == (salon.colleague.id, SyncStatus.SYNCED)


def test_reassign_panel_offers_no_button_for_a_colleague_cal_com_shows_busy(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    book_directly(sim, salon.colleague_event_type_id, appointment.starts_at)

    body = htmx.get(f"/review/{appointment.id}/reassign").get_data(as_text=True)

    button = re.search(rf'<button[^>]*value="{salon.colleague.id}"[^>]*>', body)
    assert button and "disabled" in button.group(0)
    assert '<span class="badge badge-busy">busy</span>' in body


def test_reassign_to_someone_of_another_company_is_a_422(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    stranger = factories.make_staff(factories.make_company("Elsewhere"), "Stranger")
    before = state_of(appointment.id)
    response = htmx.post(f"/review/{appointment.id}/reassign", version=appointment.version, staff_id=stranger.id)
    assert response.status_code == 422
    assert "Choose a staff member of this company." in response.get_data(as_text=True)
    assert state_of(appointment.id) == before


# --- cancel --------------------------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_then_cancels_in_calcom_and_locally(htmx, salon, sim):
    start = slot_start(5)
    appointment = factories.make_appointment(factories.make_customer(salon.company), salon.service, salon.staff, start)
    assert sync_appointment(appointment).synced
    appointment = records.fresh(appointment.id)
    appointment.sync_status = SyncStatus.FAILED  # e.g. a later reschedule failed; the booking is still live
    db.session.commit()
    appointment = records.fresh(appointment.id)

    panel = htmx.get(f"/review/{appointment.id}/cancel").get_data(as_text=True)
    assert "hx-confirm=" in panel
    missing = htmx.post(f"/review/{appointment.id}/cancel", version=appointment.version, reason_code="")
    assert missing.status_code == 422
    assert 'aria-invalid="true"' in missing.get_data(as_text=True)
    other = htmx.post(f"/review/{appointment.id}/cancel", version=appointment.version, reason_code="other")
    assert other.status_code == 422
    assert "Describe the reason in a few words." in other.get_data(as_text=True)
    assert records.fresh(appointment.id).status is AppointmentStatus.SCHEDULED

    response = htmx.post(f"/review/{appointment.id}/cancel", version=appointment.version, reason_code="duplicate")

    assert response.status_code == 200
    assert ">Cancelled</span>" in response.get_data(as_text=True)
    fresh = records.fresh(appointment.id)
    assert (fresh.status, fresh.cancellation_reason) == (AppointmentStatus.CANCELLED, "duplicate")
    assert [b["status"] for b in sim.admin.bookings() if b["uid"] == appointment.calcom_booking_uid] == ["cancelled"]


def test_cancel_while_calcom_fails_keeps_the_appointment(htmx, salon, sim):
    appointment = factories.make_appointment(
        factories.make_customer(salon.company), salon.service, salon.staff, slot_start(5)
    )
    assert sync_appointment(appointment).synced
    appointment = records.fresh(appointment.id)
    appointment.sync_status = SyncStatus.FAILED
    db.session.commit()
    before = state_of(appointment.id)
    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", status=503, count=5)

    response = htmx.post(f"/review/{appointment.id}/cancel", version=appointment.version, reason_code="duplicate")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Cal.com answered with a server error (HTTP 503); we checked and the booking was not cancelled" in body
    assert "What Cal.com said" in body
    assert state_of(appointment.id) == before


# --- contact -------------------------------------------------------------------------------------------------------


def test_contact_with_an_anonymous_caller_id_is_a_422_with_field_errors(htmx, salon, sim):
    appointment = _technical_failure(salon, sim)
    before = state_of(appointment.id)
    response = htmx.post(
        f"/review/{appointment.id}/contact", version=appointment.version, email="", phone="anonymous_1732_9f3a2c"
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="appt-{appointment.id}-phone-error"' in body
    assert "anonymous caller id" in body
    assert state_of(appointment.id) == before


def test_missing_contact_fixed_and_retried_in_one_go(htmx, salon, sim):
    customer = factories.make_customer(salon.company, "Anonymer Anrufer", email=None, phone="anonymous_1732_9f3a2c")
    appointment = factories.make_appointment(customer, salon.service, salon.staff, slot_start(3))
    result = sync_appointment(appointment)
    assert result.category is ErrorCategory.MISSING_CONTACT
    appointment = records.fresh(appointment.id)

    response = htmx.post(
        f"/review/{appointment.id}/contact",
        version=appointment.version,
        email="echte.person@kunden-mail.de",
        phone="",
        and_retry="1",
    )

    assert response.status_code == 200
    assert "status: Contact saved" in _toast(response.get_data(as_text=True))
    fresh = records.fresh(appointment.id)
    assert (fresh.customer.email, fresh.sync_status) == ("echte.person@kunden-mail.de", SyncStatus.SYNCED)


def test_contact_saved_but_retry_refused_says_the_contact_was_saved(htmx, salon, sim):
    customer = factories.make_customer(salon.company, "Anonymer Anrufer", email=None, phone="anonymous_1732_9f3a2c")
    appointment = factories.make_appointment(customer, salon.service, salon.staff, slot_start(3))
    sync_appointment(appointment)
    appointment = records.fresh(appointment.id)
    sim.admin.set_faults(method="POST", status=500, count=1)

    response = htmx.post(
        f"/review/{appointment.id}/contact",
        version=appointment.version,
        email="echte.person@kunden-mail.de",
        phone="",
        and_retry="1",
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Contact saved" in _toast(body)
    assert "The retry failed" in body and "Nothing was changed here" not in body
    fresh = records.fresh(appointment.id)
    assert (fresh.customer.email, fresh.sync_status) == ("echte.person@kunden-mail.de", SyncStatus.FAILED)


def test_plain_form_post_without_javascript_redirects_to_the_detail_page(client, agent, salon, sim):
    appointment = _technical_failure(salon, sim)
    login(client, agent)
    token = csrf_token(client, "/review")
    response = client.post(
        f"/review/{appointment.id}/retry", data={"csrf_token": token, "version": appointment.version}
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/review/{appointment.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Synced: Cal.com booking" in page


def test_reassign_to_an_id_beyond_any_integer_column_is_a_422_not_a_500(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    before = state_of(appointment.id)
    response = htmx.post(f"/review/{appointment.id}/reassign", version=appointment.version, staff_id=10**30)
    assert response.status_code == 422
    assert 'class="panel-row"' in response.get_data(as_text=True)
    assert state_of(appointment.id) == before


def test_a_cancel_reason_with_a_nul_byte_is_a_422_before_cal_com_hears_of_it(htmx, salon, sim):
    appointment = _conflicted(salon, sim)
    before = state_of(appointment.id)
    posts_before = len([b for b in sim.admin.bookings() if b["status"] == "cancelled"])
    response = htmx.post(
        f"/review/{appointment.id}/cancel", version=appointment.version, reason_code="other", reason_text="Kunde\x00weg"
    )
    assert response.status_code == 422
    assert "control characters" in response.get_data(as_text=True)
    assert state_of(appointment.id) == before
    assert len([b for b in sim.admin.bookings() if b["status"] == "cancelled"]) == posts_before


@pytest.mark.parametrize("start", ["9999-12-31T23:00:00+00:00", "2999-01-01T10:00:00+00:00"])
def test_a_reschedule_start_far_in_the_future_is_a_422_not_a_500(htmx, salon, sim, start):
    appointment = _conflicted(salon, sim)
    before = state_of(appointment.id)
    response = htmx.post(f"/review/{appointment.id}/reschedule", version=appointment.version, start=start)
    assert response.status_code == 422
    assert "more than a year ahead" in response.get_data(as_text=True)
    assert state_of(appointment.id) == before


@pytest.mark.parametrize("version", [10**30, 2**31])
def test_a_version_beyond_any_integer_column_is_a_422_not_a_500(htmx, salon, sim, version):
    appointment = _technical_failure(salon, sim)
    before = state_of(appointment.id)
    response = htmx.post(f"/review/{appointment.id}/retry", version=version)
    assert response.status_code == 422
    assert state_of(appointment.id) == before


# --- the detail page and the no-JavaScript path ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("panel", "shows"),
    [
        ("reschedule", 'name="start" value="'),
        ("reassign", "Assign to Mia Wagner"),
        ("cancel", "Confirm cancellation"),
        ("contact", "Save and retry sync"),
    ],
)
def test_detail_page_opens_the_panel_named_in_the_url_with_its_content(client, agent, salon, sim, panel, shows):
    appointment = _conflicted(salon, sim, email="erika@kunden-mail.de")
    login(client, agent)
    response = client.get(f"/review/{appointment.id}?panel={panel}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="panel-row"' in body
    assert shows in body


@pytest.mark.parametrize("panel", ["bogus", "../x", "../../base", "head", ""])
def test_detail_page_ignores_a_panel_it_does_not_know(client, agent, salon, sim, panel):
    appointment = _conflicted(salon, sim)
    login(client, agent)
    response = client.get(f"/review/{appointment.id}", query_string={"panel": panel})
    assert response.status_code == 200
    assert 'class="panel-row"' not in response.get_data(as_text=True)


def test_detail_page_of_a_synced_appointment_opens_no_reassign_panel_and_asks_calcom_only_for_its_bookings(
    client, agent, salon, sim
):
    appointment = _technical_failure(salon, sim)
    assert sync_appointment(appointment).synced
    attempts_before = db.session.query(SyncAttempt).count()
    login(client, agent)

    response = client.get(f"/review/{appointment.id}?panel=reassign")  # a synced one is only moved or cancelled

    assert response.status_code == 200
    assert 'class="panel-row"' not in response.get_data(as_text=True)
    new = db.session.query(SyncAttempt).order_by(SyncAttempt.id).offset(attempts_before).all()
    assert [(attempt.method, attempt.path.split("?")[0]) for attempt in new] == [("GET", "/v2/bookings")]


def test_detail_page_opens_no_panel_for_a_manager(client, salon, sim):
    appointment = _conflicted(salon, sim)
    login(client, factories.make_user(Role.MANAGER, company=salon.company))
    response = client.get(f"/review/{appointment.id}?panel=cancel")
    assert response.status_code == 200
    assert 'class="panel-row"' not in response.get_data(as_text=True)


def _plain_post(client, agent, path: str, **data: Any):
    """A browser without JavaScript: the form's own POST, then the redirect it answers with."""
    login(client, agent)
    token = csrf_token(client, "/review")
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)


def test_plain_form_post_with_invalid_input_ends_on_the_detail_page_with_the_panel_and_the_error(
    client, agent, salon, sim
):
    appointment = _conflicted(salon, sim)
    before = state_of(appointment.id)

    response = _plain_post(
        client, agent, f"/review/{appointment.id}/cancel", version=appointment.version, reason_code=""
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="panel-row"' in body
    assert "Confirm cancellation" in body
    assert "Choose why the appointment is cancelled." in body
    assert state_of(appointment.id) == before


def test_plain_form_post_refused_by_calcom_ends_on_the_detail_page_with_the_panel_and_why(client, agent, salon, sim):
    appointment = _conflicted(salon, sim)
    taken = slot_start(2, time(12, 45))
    book_directly(sim, salon.event_type_id, taken)
    before = state_of(appointment.id)

    response = _plain_post(
        client, agent, f"/review/{appointment.id}/reschedule", version=appointment.version, start=taken.isoformat()
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="panel-row"' in body
    assert 'name="start" value="' in body
    assert "Cal.com refused" in body
    assert state_of(appointment.id) == before


def test_plain_form_post_of_an_invalid_contact_ends_on_the_detail_page_with_the_panel(client, agent, salon, sim):
    appointment = _technical_failure(salon, sim)

    response = _plain_post(
        client,
        agent,
        f"/review/{appointment.id}/contact",
        version=appointment.version,
        email="",
        phone="anonymous_1732_9f3a2c",
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="panel-row"' in body
    assert "Save and retry sync" in body
    assert "anonymous caller id" in body
