"""Cal.com's webhook deliveries, posted raw and signed the way Cal.com signs them (CONTRACT §9).

The receiver needs no session and no CSRF token (the suite enforces CSRF, so every accepted POST here proves the
exemption), only ``X-Cal-Signature-256``: the HMAC-SHA256 of the untouched body with our secret. What a delivery
applies goes through the same claim and audit trail as the agents' actions, with no actor and a note naming Cal.com.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ops_ui import create_app
from ops_ui.categories import ErrorCategory
from ops_ui.engine.claims import claim, release
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Company,
    DeliveryOutcome,
    ExternalBooking,
    Role,
    Staff,
    SyncStatus,
    WebhookDelivery,
)
from tests.support.auth import login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user
from tests.support.records import audits, fresh, state_of

SECRET = "whsec_sync_desk_test_5f1c"
URL = "/webhooks/calcom"
OLD_UID = "bk_old_3Hq7Xc"
NEW_UID = "bk_new_9Pw2Lm"
STARTS = datetime(2050, 9, 4, 9, 0, tzinfo=UTC)
MOVED_TO = datetime(2050, 9, 5, 7, 0, tzinfo=UTC)
HOST_ID, COLLEAGUE_ID, STRANGER_ID = 4101, 4102, 9999


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "CALCOM_WEBHOOK_SECRET": SECRET}


@dataclass
class Salon:
    company: Company
    host: Staff
    colleague: Staff
    appointment: Appointment


@pytest.fixture
def salon(app: Flask) -> Salon:
    company = make_company()
    host = make_staff(company, "Fabian Spitzer", calcom_user_id=HOST_ID)
    colleague = make_staff(company, "Mara Klein", calcom_user_id=COLLEAGUE_ID)
    appointment = make_appointment(
        make_customer(company),
        make_service(company, duration_minutes=60),
        host,
        starts_at=STARTS,
        sync_status=SyncStatus.SYNCED,
        calcom_booking_uid=OLD_UID,
    )
    return Salon(company, host, colleague, appointment)


# --- what Cal.com sends ------------------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def booking_payload(
    uid: str,
    start: datetime = STARTS,
    minutes: int = 60,
    organizer_id: int = HOST_ID,
    metadata: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The common fields of a 2021-10-20 booking payload."""
    end = start.replace(hour=start.hour + minutes // 60)
    return {
        "uid": uid,
        "bookingId": abs(hash(uid)) % 100_000,
        "title": "Dauerwelle between Salon Schnitt and Erika Muster",
        "type": "dauerwelle",
        "eventTypeId": 501,
        "startTime": iso(start),
        "endTime": iso(end),
        "organizer": {
            "id": organizer_id,
            "name": "Host",
            "email": f"user{organizer_id}@salon.test",
            "username": f"user{organizer_id}",
            "timeZone": "Europe/Berlin",
            "language": {"locale": "de"},
            "timeFormat": "h:mma",
            "utcOffset": 120,
        },
        "attendees": [
            {
                "name": "Erika Muster",
                "email": "erika@kunden-mail.de",
                "timeZone": "Europe/Berlin",
                "language": {"locale": "de"},
                "utcOffset": 120,
            }
        ],
        "responses": {"name": {"label": "your_name", "value": "Erika Muster"}},
        "userFieldsResponses": {},
        "location": "Salon",
        "iCalUID": f"{uid}@Cal.com",
        "iCalSequence": 0,
        "eventTitle": "Dauerwelle",
        "length": minutes,
        "metadata": {"videoCallUrl": None, **(metadata or {})},
        "status": "ACCEPTED",
        **extra,
    }


def delivery(trigger: str, payload: dict[str, Any]) -> bytes:
    """The default body, serialised once like Cal.com's ``JSON.stringify`` (compact, non-ASCII as is): these bytes
    are what is signed and sent, and no re-serialisation of the parsed JSON gives them back."""
    body = {"triggerEvent": trigger, "createdAt": "2050-09-01T08:00:00.000Z", "payload": payload}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def cancelled(
    uid: str = OLD_UID, by: str = "inhaber@salon.test", reason: str = "Kundin hat Grippe, ruft zurück", **extra: Any
) -> bytes:
    payload = booking_payload(uid, status="CANCELLED", cancelledBy=by, cancellationReason=reason, **extra)
    return delivery("BOOKING_CANCELLED", payload)


def rescheduled(old: str = OLD_UID, new: str = NEW_UID, organizer_id: int = HOST_ID) -> bytes:
    payload = booking_payload(
        new,
        MOVED_TO,
        organizer_id=organizer_id,
        rescheduleUid=old,
        rescheduleId=1,
        rescheduleStartTime=iso(STARTS),
        rescheduleEndTime=iso(STARTS.replace(hour=10)),
        rescheduledBy="inhaber@salon.test",
    )
    return delivery("BOOKING_RESCHEDULED", payload)


def sign(raw: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post(client: FlaskClient, raw: bytes, signature: str | None = "sign") -> TestResponse:
    headers = {"Content-Type": "application/json", "x-cal-webhook-version": "2021-10-20"}
    if signature == "sign":
        signature = sign(raw)
    if signature is not None:
        headers["X-Cal-Signature-256"] = signature
    return client.post(URL, data=raw, headers=headers)


def deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def last_delivery() -> WebhookDelivery:
    stored = deliveries()
    assert stored, "no delivery stored"
    db.session.refresh(stored[-1])
    return stored[-1]


def calcom_events(appointment_id: int) -> list[AuditEvent]:
    return [event for event in audits(appointment_id) if event.action.startswith("calcom_")]


# --- applied -----------------------------------------------------------------------------------------------------


def test_cancel_in_calcom_cancels_the_appointment_in_step_with_the_reason_and_an_audit_event(client, salon):
    version = salon.appointment.version

    response = post(client, cancelled())

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["outcome"] == "applied"
    row = fresh(salon.appointment.id)
    assert row.status is AppointmentStatus.CANCELLED
    assert row.sync_status is SyncStatus.SYNCED
    assert row.cancellation_reason == "cancelled in Cal.com by inhaber@salon.test: Kundin hat Grippe, ruft zurück"
    assert row.claim_token is None
    assert row.version == version + 1
    [event] = calcom_events(row.id)
    assert event.action == "calcom_cancelled"
    assert event.actor_id is None
    assert "Cal.com" in (event.note or "")
    assert event.before["status"] == "scheduled" and event.after["status"] == "cancelled"
    stored = last_delivery()
    assert (stored.outcome, stored.appointment_id, stored.company_id) == (
        DeliveryOutcome.APPLIED,
        row.id,
        salon.company.id,
    )
    assert stored.raw_body == cancelled().decode()


def test_cancel_in_calcom_of_a_failed_appointment_leaves_nothing_to_retry(client, salon):
    row = fresh(salon.appointment.id)
    row.sync_status, row.last_error_category = SyncStatus.FAILED, ErrorCategory.HOST_CONFLICT
    row.last_error_message, row.next_retry_at, row.failed_since = "Host not available", STARTS, STARTS
    db.session.commit()

    assert post(client, cancelled()).get_json()["outcome"] == "applied"

    row = fresh(salon.appointment.id)
    assert row.status is AppointmentStatus.CANCELLED and row.sync_status is SyncStatus.SYNCED
    assert (row.last_error_category, row.last_error_message, row.next_retry_at, row.failed_since) == (None,) * 4


def test_cancel_of_an_appointment_sync_desk_cancelled_itself_is_already_in_step(client, salon):
    row = fresh(salon.appointment.id)
    row.status, row.cancellation_reason = AppointmentStatus.CANCELLED, "customer_request"
    db.session.commit()
    before = state_of(row.id)

    response = post(client, cancelled())

    assert response.status_code == 200
    assert response.get_json()["outcome"] == "already in step"
    assert state_of(row.id) == before
    assert calcom_events(row.id) == []


def test_reschedule_in_calcom_moves_the_appointment_to_the_new_booking_and_time(client, salon):
    response = post(client, rescheduled())

    assert response.status_code == 200, response.get_data(as_text=True)
    row = fresh(salon.appointment.id)
    assert (row.starts_at, row.ends_at) == (MOVED_TO, MOVED_TO.replace(hour=8))
    assert row.starts_at.tzinfo is not None
    assert row.calcom_booking_uid == NEW_UID
    assert row.status is AppointmentStatus.SCHEDULED and row.sync_status is SyncStatus.SYNCED
    assert row.staff_id == salon.host.id
    [event] = calcom_events(row.id)
    assert event.action == "calcom_rescheduled" and event.actor_id is None
    assert event.before["calcom_booking_uid"] == OLD_UID and event.after["calcom_booking_uid"] == NEW_UID


def test_reschedule_sync_desk_made_itself_is_already_in_step(client, salon):
    row = fresh(salon.appointment.id)
    row.calcom_booking_uid, row.starts_at, row.ends_at = NEW_UID, MOVED_TO, MOVED_TO.replace(hour=8)
    db.session.commit()
    before = state_of(row.id)

    response = post(client, rescheduled())

    assert response.get_json()["outcome"] == "already in step"
    assert state_of(row.id) == before


def test_cancel_of_the_old_booking_after_a_reschedule_is_not_a_cancellation_of_the_appointment(client, salon):
    assert post(client, rescheduled()).get_json()["outcome"] == "applied"

    after_move = post(client, cancelled(OLD_UID))
    flagged = post(client, cancelled(OLD_UID, reason="moved", rescheduled=True, rescheduledToUid=NEW_UID))

    assert after_move.status_code == 200 and after_move.get_json()["outcome"] == "already in step"
    assert flagged.get_json()["outcome"] == "already in step"
    row = fresh(salon.appointment.id)
    assert row.status is AppointmentStatus.SCHEDULED and row.calcom_booking_uid == NEW_UID
    assert [event.action for event in calcom_events(row.id)] == ["calcom_rescheduled"]


def test_cancel_flagged_as_a_reschedule_leaves_the_appointment_holding_the_old_booking_alone(client, salon):
    before = state_of(salon.appointment.id)

    response = post(client, cancelled(rescheduled=True, rescheduledToUid=NEW_UID))

    assert response.get_json()["outcome"] == "not applied"
    assert state_of(salon.appointment.id) == before


def test_another_organizer_in_calcom_gives_the_appointment_to_that_staff_member(client, salon):
    payload = booking_payload(OLD_UID, organizer_id=COLLEAGUE_ID)

    response = post(client, delivery("BOOKING_REASSIGNED", payload))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["outcome"] == "applied"
    row = fresh(salon.appointment.id)
    assert row.staff_id == salon.colleague.id
    assert row.calcom_booking_uid == OLD_UID and row.starts_at == STARTS
    [event] = calcom_events(row.id)
    assert event.action == "calcom_reassigned" and event.actor_id is None
    assert (event.before, event.after) == ({"staff_id": salon.host.id}, {"staff_id": salon.colleague.id})


def test_a_reschedule_to_another_host_moves_and_reassigns_in_one_claim(client, salon):
    version = salon.appointment.version

    response = post(client, rescheduled(organizer_id=COLLEAGUE_ID))

    assert response.get_json()["outcome"] == "applied"
    row = fresh(salon.appointment.id)
    assert (row.calcom_booking_uid, row.starts_at, row.staff_id) == (NEW_UID, MOVED_TO, salon.colleague.id)
    assert [event.action for event in calcom_events(row.id)] == ["calcom_rescheduled", "calcom_reassigned"]
    assert row.version == version + 1


def test_an_organizer_who_is_no_staff_member_changes_nothing_and_says_so(client, salon):
    before = state_of(salon.appointment.id)

    response = post(client, delivery("BOOKING_REASSIGNED", booking_payload(OLD_UID, organizer_id=STRANGER_ID)))

    assert response.get_json()["outcome"] == "already in step"
    assert str(STRANGER_ID) in response.get_json()["note"]
    assert state_of(salon.appointment.id) == before


def test_own_booking_is_not_applied_and_one_the_appointment_does_not_hold_is_noted(client, salon):
    mine = {METADATA_KEY: str(salon.appointment.id)}
    before = state_of(salon.appointment.id)

    held = post(client, delivery("BOOKING_CREATED", booking_payload(OLD_UID, metadata=mine)))
    orphan = post(client, delivery("BOOKING_CREATED", booking_payload("bk_orphan_1", metadata=mine)))

    assert held.get_json()["outcome"] == "own booking" and held.get_json()["note"] is None
    assert orphan.get_json()["outcome"] == "own booking"
    assert "bk_orphan_1" in orphan.get_json()["note"] and OLD_UID in orphan.get_json()["note"]
    assert last_delivery().appointment_id == salon.appointment.id
    assert state_of(salon.appointment.id) == before
    assert db.session.scalar(select(func.count()).select_from(ExternalBooking)) == 0


def test_booking_made_in_calcom_for_our_staff_is_kept_as_an_external_booking_never_an_appointment(client, salon):
    appointments = db.session.scalar(select(func.count()).select_from(Appointment))
    created = delivery("BOOKING_CREATED", booking_payload("bk_walk_in", organizer_id=COLLEAGUE_ID))

    response = post(client, created)

    assert response.status_code == 200 and response.get_json()["outcome"] == "external booking"
    booking = db.session.scalars(select(ExternalBooking)).one()
    assert (booking.uid, booking.company_id, booking.staff_id, booking.event_type_id) == (
        "bk_walk_in",
        salon.company.id,
        salon.colleague.id,
        501,
    )
    assert (booking.starts_at, booking.status) == (STARTS, "accepted")
    assert (booking.attendee_name, booking.attendee_email) == ("Erika Muster", "erika@kunden-mail.de")
    assert booking.source_delivery_id == last_delivery().id
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == appointments

    moved = post(client, rescheduled(old="bk_walk_in", new="bk_walk_in_2", organizer_id=COLLEAGUE_ID))
    gone = post(client, cancelled("bk_walk_in_2", reason="kommt nicht"))

    assert moved.get_json()["outcome"] == gone.get_json()["outcome"] == "external booking"
    db.session.refresh(booking)
    assert (booking.uid, booking.rescheduled_from_uid, booking.starts_at) == ("bk_walk_in_2", "bk_walk_in", MOVED_TO)
    assert booking.status == "cancelled"
    assert booking.cancellation_reason == "cancelled in Cal.com by inhaber@salon.test: kommt nicht"
    assert booking.last_delivery_id == last_delivery().id
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == appointments


# --- refused -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["tampered body", "wrong secret", "missing signature", "no-secret-provided", "uppercase hex"],
)
def test_a_delivery_without_our_signature_is_refused_and_changes_nothing(client, salon, case):
    raw = cancelled()
    body, signature = {
        "tampered body": (raw.replace(b"Grippe", b"Laune!"), sign(raw)),
        "wrong secret": (raw, sign(raw, "not-our-secret")),
        "missing signature": (raw, None),
        "no-secret-provided": (raw, "no-secret-provided"),
        "uppercase hex": (raw, sign(raw).upper()),
    }[case]
    before = state_of(salon.appointment.id)

    response = post(client, body, signature)

    assert response.status_code == 401
    assert state_of(salon.appointment.id) == before
    assert calcom_events(salon.appointment.id) == []
    stored = last_delivery()
    assert (stored.outcome, stored.signature_valid, stored.trigger, stored.appointment_id) == (
        DeliveryOutcome.BAD_SIGNATURE,
        False,
        None,
        None,
    )
    assert stored.raw_body == body.decode()


def test_without_a_configured_secret_every_delivery_is_refused(app_config, salon):
    server = create_app({**app_config, "CALCOM_WEBHOOK_SECRET": None})
    before = state_of(salon.appointment.id)

    for signature in (sign(cancelled(), ""), "no-secret-provided", None):
        response = post(server.test_client(), cancelled(), signature)
        assert response.status_code == 401
        assert "not configured" in response.get_json()["note"]

    assert state_of(salon.appointment.id) == before
    with server.app_context():
        db.engine.dispose()


def test_a_body_that_is_not_calcoms_shape_is_refused_with_400_and_stored(client, salon):
    for raw in (b"not json {", b"[1, 2]", json.dumps({"triggerEvent": "BOOKING_CANCELLED"}).encode()):
        response = post(client, raw)
        assert response.status_code == 400
        assert last_delivery().outcome is DeliveryOutcome.INVALID
        assert last_delivery().raw_body == raw.decode()
    moved_without_old = delivery("BOOKING_RESCHEDULED", booking_payload(NEW_UID))
    assert post(client, moved_without_old).status_code == 400
    assert fresh(salon.appointment.id).calcom_booking_uid == OLD_UID


def test_a_replayed_delivery_is_applied_once(client, salon):
    raw, version = rescheduled(), salon.appointment.version

    first, second = post(client, raw), post(client, raw)

    assert first.get_json()["outcome"] == "applied"
    assert second.status_code == 200 and second.get_json()["outcome"] == "duplicate"
    assert [stored.outcome for stored in deliveries()] == [DeliveryOutcome.APPLIED, DeliveryOutcome.DUPLICATE]
    assert deliveries()[1].appointment_id == salon.appointment.id
    assert len(calcom_events(salon.appointment.id)) == 1
    assert fresh(salon.appointment.id).version == version + 1


def test_a_claim_held_by_another_writer_answers_503_and_the_redelivery_applies(client, salon):
    agent = make_user(Role.AGENT, company=salon.company)
    row = fresh(salon.appointment.id)
    held = claim(row, row.version, agent)
    raw = cancelled()

    busy = post(client, raw)

    assert busy.status_code == 503
    assert busy.headers["Retry-After"]
    stored = last_delivery()
    assert stored.outcome is DeliveryOutcome.RETRY
    assert f"being changed by {agent.name}" in (stored.note or "")
    row = fresh(salon.appointment.id)
    assert row.status is AppointmentStatus.SCHEDULED and row.claim_token == held.token
    assert calcom_events(row.id) == []

    release(held)
    again = post(client, raw)

    assert again.status_code == 200 and again.get_json()["outcome"] == "applied"
    assert fresh(salon.appointment.id).status is AppointmentStatus.CANCELLED
    assert len(calcom_events(salon.appointment.id)) == 1


# --- the deliveries page -----------------------------------------------------------------------------------------


def test_unknown_trigger_and_unknown_booking_are_stored_answered_200_and_shown(client, salon):
    meeting = json.dumps({"triggerEvent": "MEETING_STARTED", "uid": "bk_meet", "title": "Call"}).encode()
    stranger = cancelled("bk_nobody_knows")

    assert post(client, meeting).status_code == 200
    assert post(client, stranger).status_code == 200
    assert [stored.outcome for stored in deliveries()] == [
        DeliveryOutcome.UNKNOWN_TRIGGER,
        DeliveryOutcome.UNKNOWN_BOOKING,
    ]

    login(client, make_user(Role.ADMIN))
    page = client.get("/webhooks/deliveries")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "MEETING_STARTED" in html and "ignored: unknown trigger" in html
    assert "bk_nobody_knows" in html and "unknown booking" in html
    assert "<details>" in html and "&#34;triggerEvent&#34;" in html


def test_markup_in_a_cancellation_reason_is_escaped_on_the_deliveries_page(client, salon):
    attack = '<script>alert("owned")</script><img src=x onerror=alert(1)>'
    assert post(client, cancelled(reason=attack, by="<b>evil</b>")).get_json()["outcome"] == "applied"

    login(client, make_user(Role.AGENT, company=salon.company))
    html = client.get("/webhooks/deliveries").get_data(as_text=True)

    assert "<script>alert" not in html and "<img src=x" not in html and "<b>evil</b>" not in html
    assert "&lt;script&gt;alert(" in html
    assert f'href="/review/{salon.appointment.id}"' in html


def test_the_deliveries_page_needs_a_session_and_shows_only_the_users_company(client, salon):
    other = make_company("Salon Anders")
    make_staff(other, "Nina Anders", calcom_user_id=5100)
    post(client, cancelled())
    post(client, delivery("BOOKING_CREATED", booking_payload("bk_other_walk_in", organizer_id=5100)))
    post(client, cancelled("bk_nobody_knows"))

    assert client.get("/webhooks/deliveries").status_code == 302

    login(client, make_user(Role.MANAGER, company=salon.company))
    html = client.get("/webhooks/deliveries").get_data(as_text=True)

    assert OLD_UID in html
    assert "bk_other_walk_in" not in html and "bk_nobody_knows" not in html and "Nina Anders" not in html
