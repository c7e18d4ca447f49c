"""Which rule a signed, readable delivery falls under, and storing what became of it.

By trigger: a cancel or a reschedule of a booking an appointment holds changes that appointment; one of an
external booking updates it; a new booking is ours (our metadata), an external one (its organizer is our staff), or
unknown. Any of them naming an appointment's booking with another organizer gives the appointment to that host.
"""

from __future__ import annotations

from datetime import datetime

from ops_ui.extensions import db
from ops_ui.models import Appointment, DeliveryOutcome, WebhookDelivery
from ops_ui.webhooks.appointments import Record, settle_on_appointment
from ops_ui.webhooks.external import store_new_external, update_external
from ops_ui.webhooks.lookups import (
    appointment_holding,
    appointment_moved_away_from,
    external_booking,
    external_booking_moved_away_from,
    staff_for_organizer,
)
from ops_ui.webhooks.payload import BOOKING_CANCELLED, BOOKING_RESCHEDULED, CalcomEvent
from ops_ui.webhooks.settled import Settled


def settle_delivery(delivery: WebhookDelivery, event: CalcomEvent, now: datetime) -> Settled:
    """Apply ``event`` and store its outcome on ``delivery`` (committed, with the change it made)."""

    def record(settled: Settled) -> None:
        delivery.outcome = settled.outcome
        delivery.note = settled.note
        delivery.appointment_id = settled.appointment_id
        delivery.company_id = settled.company_id

    if not event.known:
        settled = Settled(DeliveryOutcome.UNKNOWN_TRIGGER, f"Sync Desk does not act on {event.trigger}.")
    elif event.trigger == BOOKING_CANCELLED:
        settled = _cancelled(delivery, event, record, now)
    elif event.trigger == BOOKING_RESCHEDULED:
        settled = _rescheduled(delivery, event, record, now)
    else:
        settled = _new_booking(delivery, event, record, now)
    record(settled)
    db.session.commit()
    return settled


def _cancelled(delivery: WebhookDelivery, event: CalcomEvent, record: Record, now: datetime) -> Settled:
    assert event.uid is not None
    appointment = appointment_holding(event.uid)
    if appointment is not None:
        return settle_on_appointment(delivery, event, appointment, record, now)
    booking = external_booking(event.uid)
    if booking is not None:
        return update_external(delivery, event, booking)
    return _moved_away(event) or Settled(
        DeliveryOutcome.UNKNOWN_BOOKING, f"No appointment or external booking holds booking {event.uid}."
    )


def _moved_away(event: CalcomEvent) -> Settled | None:
    """A cancel of an old uid that was rescheduled to a new booking: not a cancellation of anything we hold."""
    assert event.uid is not None
    appointment = appointment_holding(event.rescheduled_to_uid) or appointment_moved_away_from(event.uid)
    if appointment is not None:
        note = (
            f"Booking {event.uid} was rescheduled away; appointment #{appointment.id} holds booking "
            f"{appointment.calcom_booking_uid} now. Not a cancellation of the appointment."
        )
        return Settled(DeliveryOutcome.ALREADY_IN_STEP, note, appointment.id, appointment.company_id)
    booking = external_booking_moved_away_from(event.uid)
    if booking is not None:
        note = f"Booking {event.uid} was rescheduled away; the external booking is {booking.uid} now."
        return Settled(DeliveryOutcome.ALREADY_IN_STEP, note, None, booking.company_id)
    return None


def _rescheduled(delivery: WebhookDelivery, event: CalcomEvent, record: Record, now: datetime) -> Settled:
    appointment = appointment_holding(event.reschedule_uid) or appointment_holding(event.uid)
    if appointment is not None:
        return settle_on_appointment(delivery, event, appointment, record, now)
    booking = external_booking(event.reschedule_uid) or external_booking(event.uid)
    if booking is not None:
        return update_external(delivery, event, booking)
    return _new_booking(delivery, event, record, now)


def _new_booking(delivery: WebhookDelivery, event: CalcomEvent, record: Record, now: datetime) -> Settled:
    if event.appointment_id is not None:
        return _own_booking(delivery, event, record, now)
    appointment = appointment_holding(event.uid)
    if appointment is not None:
        return settle_on_appointment(delivery, event, appointment, record, now)
    booking = external_booking(event.uid)
    if booking is not None:
        return update_external(delivery, event, booking)
    staff = staff_for_organizer(event.organizer_id)
    if staff is not None:
        return store_new_external(delivery, event, staff)
    who = f"Cal.com user {event.organizer_id}" if event.organizer_id is not None else "an organizer we cannot tell"
    return Settled(
        DeliveryOutcome.UNKNOWN_BOOKING,
        f"Booking {event.uid} is not ours and its organizer ({who}) is no staff member.",
    )


def _own_booking(delivery: WebhookDelivery, event: CalcomEvent, record: Record, now: datetime) -> Settled:
    """A booking carrying our appointment id: made by Sync Desk, nothing to apply unless Cal.com changed its host."""
    appointment = db.session.get(Appointment, event.appointment_id, populate_existing=True)
    if appointment is None:
        note = f"Booking {event.uid} carries appointment id {event.appointment_id}, which does not exist here."
        return Settled(DeliveryOutcome.OWN_BOOKING, note)
    if appointment.calcom_booking_uid == event.uid:
        return settle_on_appointment(delivery, event, appointment, record, now, quiet=DeliveryOutcome.OWN_BOOKING)
    holds = f"booking {appointment.calcom_booking_uid}" if appointment.calcom_booking_uid else "no booking"
    note = (
        f"Appointment #{appointment.id} holds {holds}, not {event.uid}, which carries its id: for the "
        "reconciliation of orphan bookings."
    )
    if appointment.claimed_by:
        note += f" It was being changed by {appointment.claimed_by} right now (that writer may be storing it)."
    return Settled(DeliveryOutcome.OWN_BOOKING, note, appointment.id, appointment.company_id)
