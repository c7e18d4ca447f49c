"""Bookings made in Cal.com for our staff without Sync Desk: stored and kept in step, never made appointments."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from ops_ui.extensions import db
from ops_ui.models import DeliveryOutcome, ExternalBooking, Staff, WebhookDelivery
from ops_ui.webhooks.changes import cancellation_reason
from ops_ui.webhooks.lookups import external_booking, staff_for_organizer
from ops_ui.webhooks.payload import BOOKING_CANCELLED, BOOKING_RESCHEDULED, CalcomEvent
from ops_ui.webhooks.settled import Settled


def store_new_external(delivery: WebhookDelivery, event: CalcomEvent, staff: Staff) -> Settled:
    """A booking of ``staff`` that Sync Desk did not make. Two deliveries racing for one uid end as one row."""
    assert event.uid is not None and event.start is not None and event.end is not None
    booking = ExternalBooking(
        uid=event.uid,
        company_id=staff.company_id,
        staff_id=staff.id,
        event_type_id=event.event_type_id,
        starts_at=event.start,
        ends_at=event.end,
        attendee_name=event.attendee_name,
        attendee_email=event.attendee_email,
        status=event.status or "accepted",
        source_delivery_id=delivery.id,
        last_delivery_id=delivery.id,
    )
    db.session.add(booking)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = external_booking(event.uid)
        if existing is None:
            raise
        return update_external(delivery, event, existing)
    note = f"Booked in Cal.com for {staff.name}, not by Sync Desk; kept as an external booking."
    return Settled(DeliveryOutcome.EXTERNAL_BOOKING, note, None, staff.company_id)


def update_external(delivery: WebhookDelivery, event: CalcomEvent, booking: ExternalBooking) -> Settled:
    """A later delivery for an external booking: cancelled, moved to its new uid, or its details again."""
    booking.last_delivery_id = delivery.id
    if event.trigger == BOOKING_CANCELLED:
        note = _cancel(event, booking)
    elif event.trigger == BOOKING_RESCHEDULED and booking.uid == event.reschedule_uid:
        note = _move(event, booking)
    else:
        note = _refresh(event, booking)
    return Settled(DeliveryOutcome.EXTERNAL_BOOKING, note, None, booking.company_id)


def _cancel(event: CalcomEvent, booking: ExternalBooking) -> str:
    if booking.status == "cancelled":
        return f"External booking {booking.uid} is cancelled already."
    booking.status = "cancelled"
    booking.cancellation_reason = cancellation_reason(event)
    return f"External booking {booking.uid} {booking.cancellation_reason}."


def _move(event: CalcomEvent, booking: ExternalBooking) -> str:
    assert event.uid is not None
    old_uid = booking.uid
    booking.rescheduled_from_uid = old_uid
    booking.uid = event.uid
    _refresh(event, booking)
    return f"External booking {old_uid} rescheduled in Cal.com to booking {event.uid}."


def _refresh(event: CalcomEvent, booking: ExternalBooking) -> str:
    booking.starts_at = event.start or booking.starts_at
    booking.ends_at = event.end or booking.ends_at
    booking.status = event.status or booking.status
    booking.event_type_id = event.event_type_id or booking.event_type_id
    booking.attendee_name = event.attendee_name or booking.attendee_name
    booking.attendee_email = event.attendee_email or booking.attendee_email
    host = staff_for_organizer(event.organizer_id, booking.company_id)
    if host is not None and host.id != booking.staff_id:
        booking.staff_id = host.id
        return f"External booking {booking.uid} updated; now with {host.name}."
    return f"External booking {booking.uid} updated."
