"""Every Cal.com write for an appointment, verified: create, reschedule, reassign and cancel — nowhere else.

Each write runs inside a claim (``ops_ui.engine.claims``) and goes the same way:

1. Before it is sent, the request is recorded on the appointment as ``uncertain_request`` (fenced by the claim), so
   a process that dies with the request in flight leaves a note of what Cal.com may have done.
2. Cal.com's answer settles it: done, or refused.
3. No usable answer (timeout, dropped connection, 5xx, garbage): the booking is looked up — by our appointment id
   in its metadata, in the window and for the event type or host that was asked for — and what Cal.com made is
   adopted, or it is known that nothing was made.
4. If the look-up fails too, the outcome is UNCERTAIN and the note stays. While it stays, the next writer must call
   ``settle_earlier_write`` first: it lists every live booking carrying this appointment's id, keeps one (the one
   the appointment records, else the newest), cancels the others as duplicates, and adopts the kept one.

So Cal.com never holds two live bookings for one appointment for longer than until the next write, and an
appointment is never shown as synced with a booking Cal.com did not confirm.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ops_ui.audit import audit_event, snapshot
from ops_ui.calcom.client import CalcomClient, to_utc_z
from ops_ui.calcom.errors import BadRequestError, CalcomError
from ops_ui.calcom.types import Booking
from ops_ui.categories import ErrorCategory
from ops_ui.engine.attempts import AttemptRecorder
from ops_ui.engine.claims import Claim, commit_fenced, fenced_update, finish
from ops_ui.engine.failures import ANSWER_MAY_BE_LOST, BookingFailure
from ops_ui.engine.gateway import calcom_client
from ops_ui.engine.prechecks import attendee_for
from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    EventTypeMapping,
    Staff,
    SyncOperation,
    SyncStatus,
    utcnow,
)

METADATA_KEY = "syncDeskAppointmentId"
ALREADY_CANCELLED = "because it has been cancelled already"
LIVE_STATUSES = ("upcoming", "unconfirmed", "past")
SETTLED_FIELDS = ("calcom_booking_uid", "starts_at", "staff_id", "sync_status", "uncertain_request")


class Verdict(enum.Enum):
    DONE = "done"
    """Cal.com confirmed, by its answer or by a look-up after the answer was lost."""
    NOT_DONE = "not_done"
    """Cal.com refused, the request was never sent, or a look-up showed nothing was made."""
    UNCERTAIN = "uncertain"
    """No answer, and the look-up failed too: Cal.com may or may not have done it."""


@dataclass(frozen=True)
class WriteOutcome:
    verdict: Verdict
    booking: Booking | None = None
    failure: BookingFailure | None = None
    """What went wrong with the write itself (also kept when a look-up then found it done)."""
    lookup_failure: BookingFailure | None = None
    checked: bool = False
    """A look-up after a lost answer decided the verdict."""

    @property
    def done(self) -> bool:
        return self.verdict is Verdict.DONE


@dataclass(frozen=True)
class Settlement:
    """What settling an earlier unanswered write found out; ``ok`` False means Cal.com could not be asked."""

    ok: bool
    note: str
    failure: BookingFailure | None = None
    booking_gone: bool = False
    """The booking the appointment kept is no longer live (perhaps the unanswered write cancelled it): nobody may
    book it again without a person deciding."""


class _MovedElsewhere(Exception):
    def __init__(self, failure: BookingFailure) -> None:
        self.failure = failure


class Writer:
    """The verified writes of one claimed appointment, sharing one client bound to the claim's deadline."""

    def __init__(self, claim: Claim, operation: SyncOperation, *, at: datetime | None = None) -> None:
        self.claim = claim
        self.appointment = claim.appointment
        self.recorder = AttemptRecorder(claim.appointment, operation, at=at)
        self.client = calcom_client(on_exchange=self.recorder, deadline=claim.deadline)
        self.pending: str | None = claim.appointment.uncertain_request
        """The write whose outcome is unknown; stored on the appointment when the claim ends."""
        self._unsettled = self.pending is not None

    # --- reads -----------------------------------------------------------------------------------------------

    def live_bookings(self) -> list[Booking]:
        """Every live Cal.com booking carrying this appointment's id, oldest first."""
        self.recorder.operation = SyncOperation.LOOKUP
        return live_bookings_for(self.appointment, self.client)

    # --- writes ----------------------------------------------------------------------------------------------

    def create(self, event_type_id: int, start: datetime, *, besides: str | None = None) -> WriteOutcome:
        """Book ``start`` on ``event_type_id``; ``besides`` is a booking of ours the look-up must not mistake for it."""
        row = self.appointment
        end = start + (row.ends_at - row.starts_at)
        attendee = attendee_for(row)

        def verify() -> Booking | None:
            found = [
                booking
                for booking in self.live_bookings()
                if booking.event_type_id == event_type_id and booking.uid != besides and start <= booking.start < end
            ]
            return found[-1] if found else None

        return self._write(
            SyncOperation.CREATE,
            f"POST /v2/bookings — a booking of event type {event_type_id} at {to_utc_z(start)}",
            lambda: self.client.create_booking(
                event_type_id=event_type_id, start=start, attendee=attendee, metadata={METADATA_KEY: str(row.id)}
            ),
            verify,
        )

    def reschedule(self, uid: str, start: datetime, reason: str | None) -> WriteOutcome:
        """Move booking ``uid``; Cal.com makes a new booking (new uid) and cancels the old one."""

        def verify() -> Booking | None:
            old = self.client.get_booking(uid)
            return self.client.get_booking(old.rescheduled_to_uid) if old.rescheduled_to_uid else None

        return self._write(
            SyncOperation.RESCHEDULE,
            f"POST /v2/bookings/{uid}/reschedule — to {to_utc_z(start)}",
            lambda: self.client.reschedule_booking(uid, start, reason),
            verify,
        )

    def reassign(self, uid: str, user_id: int, reason: str | None) -> WriteOutcome:
        """Give round-robin booking ``uid`` to Cal.com user ``user_id`` (same uid)."""

        def send() -> Booking:
            self.client.reassign_booking(uid, user_id, reason)
            return self.client.get_booking(uid)

        def verify() -> Booking | None:
            booking = self.client.get_booking(uid)
            return booking if user_id in booking.host_ids else None

        return self._write(SyncOperation.REASSIGN, f"POST /v2/bookings/{uid}/reassign/{user_id}", send, verify)

    def cancel(self, uid: str, reason: str, *, settling: bool = False) -> WriteOutcome:
        """Cancel booking ``uid``; "already cancelled" counts as done unless Cal.com moved it to a new booking.

        ``settling``: the duplicates ``settle_earlier_write`` cancels, before the earlier write is settled.
        """

        def verify() -> Booking | None:
            booking = self.client.get_booking(uid)
            if booking.rescheduled_to_uid:
                raise _MovedElsewhere(
                    BookingFailure(
                        ErrorCategory.UNKNOWN,
                        f"Booking {uid} was rescheduled in Cal.com to booking {booking.rescheduled_to_uid}, which is "
                        "still live. Nothing was cancelled.",
                    )
                )
            return booking if booking.status == "cancelled" else None

        return self._write(
            SyncOperation.CANCEL,
            f"POST /v2/bookings/{uid}/cancel",
            lambda: self.client.cancel_booking(uid, reason),
            verify,
            check_after=lambda error: isinstance(error, BadRequestError) and ALREADY_CANCELLED in error.message,
            settling=settling,
        )

    def _write(
        self,
        operation: SyncOperation,
        request: str,
        send: Callable[[], Booking],
        verify: Callable[[], Booking | None],
        *,
        check_after: Callable[[CalcomError], bool] = lambda error: False,
        settling: bool = False,
    ) -> WriteOutcome:
        if self._unsettled and not settling:
            raise RuntimeError("settle the earlier unanswered write before writing again")
        fenced_update(
            self.claim,
            uncertain_request=request,
            uncertain_since=func.coalesce(Appointment.uncertain_since, utcnow()),
        )
        self.pending = request
        self.recorder.operation = operation
        try:
            booking = send()
        except CalcomError as error:
            failure = BookingFailure.from_error(error)
            worth_checking = failure.sent and (failure.category in ANSWER_MAY_BE_LOST or check_after(error))
        else:
            self.pending = None
            return WriteOutcome(Verdict.DONE, booking)
        if not worth_checking:
            self.pending = None
            return WriteOutcome(Verdict.NOT_DONE, failure=failure)
        self.recorder.operation = SyncOperation.LOOKUP
        try:
            found = verify()
        except _MovedElsewhere as moved:
            self.pending = None
            return WriteOutcome(Verdict.NOT_DONE, failure=moved.failure, checked=True)
        except CalcomError as error:
            return WriteOutcome(Verdict.UNCERTAIN, failure=failure, lookup_failure=BookingFailure.from_error(error))
        self.pending = None
        return WriteOutcome(Verdict.DONE if found else Verdict.NOT_DONE, found, failure, checked=True)

    # --- an earlier write whose outcome is unknown -----------------------------------------------------------

    def settle_earlier_write(self) -> Settlement | None:
        """Find out what an earlier unanswered write did and make the appointment agree; None when there was none.

        Keeps exactly one live booking: the one the appointment records if it is live, else the newest; the others
        are cancelled in Cal.com as duplicates. The result is stored at once (the claim stays held).
        """
        if not self._unsettled:
            return None
        row = self.appointment
        earlier = row.uncertain_request
        try:
            live = self.live_bookings()
        except CalcomError as error:
            return Settlement(
                False, f"Cal.com may have done this earlier request: {earlier}", BookingFailure.from_error(error)
            )
        keep = _booking_to_keep(row, live)
        for surplus in (booking for booking in live if keep is None or booking.uid != keep.uid):
            reason = f"Duplicate of the booking Sync Desk keeps for appointment {row.id}"
            outcome = self.cancel(surplus.uid, reason, settling=True)
            if not outcome.done:
                failure = outcome.lookup_failure or outcome.failure
                return Settlement(False, f"Could not cancel the duplicate booking {surplus.uid}", failure)
        before = snapshot(row, *SETTLED_FIELDS)
        gone = keep is None and row.status is AppointmentStatus.SCHEDULED and row.calcom_booking_uid is not None
        note = _adopt(row, keep, earlier or "")
        self.pending = None
        self._unsettled = False
        row.uncertain_request = None
        row.uncertain_since = None
        after = snapshot(row, *SETTLED_FIELDS)
        db.session.add(
            audit_event(row, self.claim.actor, "settle_unanswered", before=before, after=after, note=note, at=utcnow())
        )
        commit_fenced(self.claim)
        return Settlement(True, note, booking_gone=gone)

    # --- storing the outcome ---------------------------------------------------------------------------------

    def finish(self, apply: Callable[[Appointment], Iterable[AuditEvent]], **bookkeeping: object) -> Appointment:
        """Store the outcome and end the claim; the appointment stays uncertain only while a write's outcome is."""
        if self.pending is None:
            return finish(self.claim, apply, uncertain_request=None, uncertain_since=None, **bookkeeping)
        return finish(self.claim, apply, uncertain_request=self.pending, **bookkeeping)


def live_bookings_for(appointment: Appointment, client: CalcomClient) -> list[Booking]:
    """Live Cal.com bookings whose metadata carries ``appointment``'s id (found by its attendee), oldest first."""
    attendee = attendee_for(appointment)
    page = client.list_bookings(
        attendee_email=attendee.email,
        attendee_name=None if attendee.email else attendee.name,
        status=list(LIVE_STATUSES),
        take=250,
    )
    mine = [
        booking
        for booking in page.bookings
        if booking.metadata.get(METADATA_KEY) == str(appointment.id) and booking.status != "cancelled"
    ]
    return sorted(mine, key=lambda booking: booking.id)


def _booking_to_keep(appointment: Appointment, live: list[Booking]) -> Booking | None:
    if appointment.status is not AppointmentStatus.SCHEDULED or not live:
        return None
    recorded = [booking for booking in live if booking.uid == appointment.calcom_booking_uid]
    return recorded[0] if recorded else live[-1]


def _adopt(appointment: Appointment, booking: Booking | None, earlier: str) -> str:
    """Make the appointment agree with the booking Cal.com keeps for it; returns what happened, for the audit."""
    if booking is None:
        if appointment.status is AppointmentStatus.SCHEDULED and appointment.calcom_booking_uid:
            gone = appointment.calcom_booking_uid
            appointment.calcom_booking_uid = None
            appointment.sync_status = SyncStatus.FAILED
            appointment.last_error_category = ErrorCategory.UNKNOWN
            appointment.last_error_message = (
                f"Cal.com holds no live booking for this appointment any more ({gone} is gone); "
                f"the unanswered request may have done that: {earlier}"
            )
            appointment.next_retry_at = None
            appointment.failed_since = appointment.failed_since or utcnow()
            return f"Checked the unanswered request ({earlier}): booking {gone} is no longer live."
        return f"Checked the unanswered request ({earlier}): Cal.com made nothing."
    appointment.starts_at = booking.start
    appointment.ends_at = booking.end
    staff_id = _staff_for(appointment, booking)
    if staff_id is not None:
        appointment.staff_id = staff_id
    mark_synced(appointment, booking.uid)
    return f"Checked the unanswered request ({earlier}): Cal.com keeps booking {booking.uid}."


def _staff_for(appointment: Appointment, booking: Booking) -> int | None:
    """The staff member whose event type and Cal.com user the booking has (None: keep the appointment's)."""
    rows = db.session.execute(
        select(Staff.id, Staff.calcom_user_id)
        .join(EventTypeMapping, EventTypeMapping.staff_id == Staff.id)
        .where(
            EventTypeMapping.calcom_event_type_id == booking.event_type_id,
            EventTypeMapping.service_id == appointment.service_id,
            Staff.company_id == appointment.company_id,
        )
    ).all()
    hosts = [staff_id for staff_id, user_id in rows if user_id in booking.host_ids]
    if appointment.staff_id in hosts or not (hosts or len(rows) == 1):
        return None
    return hosts[0] if hosts else int(rows[0][0])


def mark_synced(appointment: Appointment, booking_uid: str) -> None:
    """Cal.com confirmed a booking for the appointment: it agrees with Cal.com again, errors are history."""
    appointment.calcom_booking_uid = booking_uid
    mark_in_step(appointment)


def mark_in_step(appointment: Appointment) -> None:
    """The appointment agrees with Cal.com (booked, or cancelled on both sides): nothing is left to retry."""
    appointment.sync_status = SyncStatus.SYNCED
    appointment.last_error_category = None
    appointment.last_error_message = None
    appointment.last_error_status = None
    appointment.next_retry_at = None
    appointment.failed_since = None
    appointment.handover_reason = None
