"""Cal.com bookings that carry an appointment's id: the one Sync Desk keeps, and orphans a person can cancel.

An orphan is a live booking with our appointment id in its metadata that the appointment does not record — left by
an answer lost before Sync Desk verified its writes, by a reassignment whose old booking could not be cancelled, or
made in Cal.com by hand. The detail page lists them from ``GET /v2/bookings``; cancelling one is a verified write
under the appointment's claim like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from ops_ui.actions.results import ActionResult, Text, failure_sentence, invalid_input, store_refusal, unsettled
from ops_ui.audit import audit_event
from ops_ui.calcom.errors import CalcomError
from ops_ui.calcom.types import Booking
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.claims import claim, load_for_action
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.writes import Writer, live_bookings_for
from ops_ui.i18n import say
from ops_ui.models import Appointment, AppointmentStatus, AuditEvent, SyncOperation, User, utcnow

ACTION = "cancel_orphan"


@dataclass(frozen=True)
class LiveBooking:
    booking: Booking
    kept: bool
    """The booking the appointment records; every other one is an orphan."""


@dataclass(frozen=True)
class CalcomBookings:
    ok: bool
    bookings: tuple[LiveBooking, ...] = ()
    message: Text | None = None


def calcom_bookings(appointment: Appointment) -> CalcomBookings:
    """Every live Cal.com booking carrying the appointment's id, marking the one Sync Desk keeps."""
    client = calcom_client(on_exchange=AttemptRecorder(appointment, SyncOperation.LOOKUP))
    try:
        live = live_bookings_for(appointment, client)
    except CalcomError as error:
        return CalcomBookings(False, message=failure_sentence(BookingFailure.from_error(error)))
    kept = _kept_uid(appointment)
    return CalcomBookings(True, tuple(LiveBooking(booking, booking.uid == kept) for booking in live))


def cancel_orphan(appointment_id: int, expected_version: int, actor: User, uid: str) -> ActionResult:
    """Cancel one orphan booking in Cal.com; the booking the appointment keeps is refused, nothing local changes."""
    appointment = load_for_action(appointment_id, expected_version, actor)
    if uid == _kept_uid(appointment):
        return invalid_input(
            ACTION, appointment, {"uid": say("Booking %(uid)s is the one this appointment keeps.", uid=uid)}
        )
    writer = Writer(claim(appointment, expected_version, actor), SyncOperation.CANCEL)
    settlement = writer.settle_earlier_write()
    if settlement is not None and not settlement.ok:
        return unsettled(writer, ACTION, settlement)
    row = writer.appointment
    try:
        orphans = [booking.uid for booking in writer.live_bookings() if booking.uid != _kept_uid(row)]
    except CalcomError as error:
        fresh = writer.finish(lambda row: [])
        return ActionResult(False, ACTION, failure_sentence(BookingFailure.from_error(error)), fresh)
    if uid not in orphans:
        fresh = writer.finish(lambda row: [])
        return invalid_input(
            ACTION, fresh, {"uid": say("Booking %(uid)s is not a live orphan of this appointment.", uid=uid)}
        )

    outcome = writer.cancel(uid, f"Orphan of appointment {row.id}: Sync Desk keeps booking {_kept_uid(row)}")
    if not outcome.done:
        before = {"orphan_uid": uid}
        return store_refusal(writer, ACTION, actor, outcome, SyncOperation.CANCEL, before=before, note=f"Orphan {uid}")

    def apply(row: Appointment) -> list[AuditEvent]:
        after = {"orphan_uid": uid, "kept_uid": _kept_uid(row)}
        return [audit_event(row, actor, ACTION, before=None, after=after, note=None, at=utcnow())]

    fresh = writer.finish(apply)
    return ActionResult(
        True, ACTION, say("Orphan booking %(uid)s cancelled in Cal.com.", uid=uid), fresh, booking_uid=uid
    )


def _kept_uid(appointment: Appointment) -> str | None:
    if appointment.status is not AppointmentStatus.SCHEDULED:
        return None
    return appointment.calcom_booking_uid
