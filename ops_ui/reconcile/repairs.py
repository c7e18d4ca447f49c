"""One repair per mismatch, each a short script over the claim and the verified writes.

A finding may be an hour old, so every repair first claims the appointment (a second writer hears "being changed"),
settles an earlier unanswered write, and reads Cal.com again. When the appointment already agrees, nothing changes
and the mismatch is closed with a note that says so; a mismatch already repaired answers "nothing more to do". So
each repair is safe to run twice. Every change is audited, and no Cal.com write leaves the ``Writer``.

The repairs:

- ``accept_cancellation`` (booking cancelled in Cal.com): the appointment is cancelled here with Cal.com's reason,
  exactly as the webhook receiver does when it hears of the cancel. Re-booking instead would confirm again to a
  customer who may have cancelled through Cal.com's own link; an agent who wants it back books it anew.
- ``rebook`` (uid unknown to Cal.com): a live booking carrying the appointment's id is adopted if Cal.com has one;
  else the appointment goes back to pending without the dead uid and the engine's own sync books it at once.
- ``accept_calcom`` (time or host differs): the appointment takes the time, host and uid of the booking Cal.com keeps.
- ``cancel_orphan`` / ``adopt_orphan`` (a live booking with our id the appointment does not keep): cancelled in
  Cal.com (``actions.orphans``), or adopted when the appointment keeps no live booking.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ops_ui.actions.orphans import cancel_orphan
from ops_ui.actions.results import Text, read_failure_sentence, unsettled
from ops_ui.audit import audit_event, snapshot
from ops_ui.calcom.errors import CalcomError, NotFoundError
from ops_ui.calcom.types import Booking
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.claims import AppointmentNotFound, NotAllowed, claim, load_for_action, release
from ops_ui.engine.failures import BookingFailure
from ops_ui.engine.writes import Writer, mark_in_step, mark_synced
from ops_ui.extensions import db
from ops_ui.formatting import local_time
from ops_ui.i18n import Sentence, in_english, say
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    AuditEvent,
    Mismatch,
    SyncOperation,
    SyncStatus,
    User,
    utcnow,
)
from ops_ui.reconcile.compare import (
    ACCEPT_CALCOM,
    ACCEPT_CANCELLATION,
    ADOPT_ORPHAN,
    CANCEL_ORPHAN,
    REBOOK,
    cancellation_text,
    is_live,
    metadata_appointment_id,
    resolve,
)
from ops_ui.status_labels import status_word
from ops_ui.webhooks.lookups import staff_for_organizer

ACTION = "reconcile"
FIELDS = ("status", "cancellation_reason", "calcom_booking_uid", "starts_at", "ends_at", "staff_id", "sync_status")


class MismatchNotFound(LookupError):
    """No such mismatch, or one of another company (not revealed as existing)."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    closes: bool
    """The mismatch is no longer open: repaired now, or found in step."""
    note: Text
    changed: bool = False
    detail: str | None = None


@dataclass(frozen=True)
class RepairResult:
    ok: bool
    message: Text
    mismatch: Mismatch
    changed: bool = False
    detail: str | None = None


def repair(mismatch_id: int, actor: User) -> RepairResult:
    """Make the repair the mismatch's button names; raises ``BeingChanged``/``StaleAppointment`` like every action."""
    if not actor.is_active or not actor.can_act:
        raise NotAllowed(f"{actor.name} may not repair mismatches")
    mismatch = db.session.get(Mismatch, mismatch_id, populate_existing=True)
    if mismatch is None or (actor.company_id is not None and mismatch.run.company_id != actor.company_id):
        raise MismatchNotFound(mismatch_id)
    if mismatch.repaired_at is not None:
        by = mismatch.repaired_by.name if mismatch.repaired_by else say("someone")
        when = local_time(mismatch.repaired_at, mismatch.run.company.time_zone)
        return RepairResult(
            True, say("Already repaired by %(who)s (%(when)s): nothing more to do.", who=by, when=when), mismatch
        )
    step = REPAIRS.get(mismatch.repair or "")
    if step is None or mismatch.appointment_id is None:
        return RepairResult(
            False, say("This mismatch is repaired elsewhere (the backfill of the desync page)."), mismatch
        )
    outcome = step(mismatch, actor)
    if outcome.closes:
        mismatch = db.session.get(Mismatch, mismatch_id, populate_existing=True) or mismatch
        mismatch.repaired_at = utcnow()
        mismatch.repaired_by_id = actor.id
        mismatch.repair_note = in_english(outcome.note)  # a record: English, like every stored note
        db.session.commit()
    return RepairResult(outcome.ok, outcome.note, mismatch, outcome.changed, outcome.detail)


# --- the claim, the settling and Cal.com's read-errors, shared by the repairs ------------------------------------


def _under_claim(mismatch: Mismatch, actor: User, step: Callable[[Writer], Outcome]) -> Outcome:
    """Run ``step`` with the appointment claimed and an earlier unanswered write settled."""
    row = db.session.get(Appointment, mismatch.appointment_id, populate_existing=True)
    if row is None:
        raise AppointmentNotFound(mismatch.appointment_id or 0)
    row = load_for_action(row.id, row.version, actor)
    writer = Writer(claim(row, row.version, actor), SyncOperation.LOOKUP)
    try:
        settlement = writer.settle_earlier_write()
        if settlement is not None and not settlement.ok:
            result = unsettled(writer, ACTION, settlement)
            return Outcome(False, False, result.message, detail=result.detail)
        try:
            return step(writer)
        except CalcomError as error:
            writer.finish(lambda row: [])
            failure = BookingFailure.from_error(error)
            return Outcome(False, False, read_failure_sentence(failure), detail=failure.detail)
    except BaseException:
        release(writer.claim)  # a no-op when the claim has ended already
        raise


def _unchanged(writer: Writer, note: Sentence, *, closes: bool = True) -> Outcome:
    """End the claim without a change; ``closes``: the appointment agrees with Cal.com already."""
    writer.finish(lambda row: [])
    again = say("%(note)s Nothing was changed; run the reconciliation again.", note=note)
    return Outcome(closes, closes, note if closes else again)


def _current(writer: Writer, uid: str) -> Booking | None:
    """The booking Cal.com keeps for ``uid`` now, followed through reschedules; None: Cal.com does not know it."""

    def fetch(wanted: str) -> Booking | None:
        try:
            return writer.client.get_booking(wanted)
        except NotFoundError:
            return None

    return resolve(uid, {}, fetch).booking


def _closed(row: Appointment) -> Sentence | None:
    if row.status is AppointmentStatus.SCHEDULED:
        return None
    return say("Appointment %(id)s is %(status)s now.", id=row.id, status=status_word(row.status))


def _staff_of(row: Appointment, booking: Booking) -> int | None:
    """The staff member who hosts ``booking``: the appointment's own when Cal.com agrees, else the company's staff
    member with the host's Cal.com user id (the appointment's own when none is)."""
    if row.staff is not None and row.staff.calcom_user_id in booking.host_ids:
        return row.staff_id
    for host_id in booking.host_ids:
        staff = staff_for_organizer(host_id, row.company_id)
        if staff is not None:
            return staff.id
    return row.staff_id


def _take_booking(row: Appointment, booking: Booking, actor: User, action: str, note: str) -> list[AuditEvent]:
    """The appointment takes Cal.com's booking: its uid, time and host; it is synced."""
    before = snapshot(row, *FIELDS)
    row.starts_at = booking.start
    row.ends_at = booking.end
    row.staff_id = _staff_of(row, booking)
    mark_synced(row, booking.uid)
    return [audit_event(row, actor, action, before=before, after=snapshot(row, *FIELDS), note=note, at=utcnow())]


# --- the repairs -------------------------------------------------------------------------------------------------


def _accept_cancellation(mismatch: Mismatch, actor: User) -> Outcome:
    def step(writer: Writer) -> Outcome:
        row = writer.appointment
        closed = _closed(row)
        if closed or row.calcom_booking_uid is None:
            return _unchanged(writer, closed or say("Appointment %(id)s keeps no Cal.com booking now.", id=row.id))
        booking = _current(writer, row.calcom_booking_uid)
        if booking is None:
            gone = say("Cal.com does not know booking %(uid)s now.", uid=row.calcom_booking_uid)
            return _unchanged(writer, gone, closes=False)
        if is_live(booking):
            return _unchanged(writer, say("Cal.com keeps booking %(uid)s live: nothing to cancel.", uid=booking.uid))
        reason = cancellation_text(booking).replace(f"cancelled booking {booking.uid}", "cancelled in Cal.com", 1)

        def apply(row: Appointment) -> list[AuditEvent]:
            before = snapshot(row, *FIELDS)
            row.status = AppointmentStatus.CANCELLED
            row.cancellation_reason = reason
            mark_in_step(row)
            note = f"Reconciliation: booking {booking.uid} {reason}"
            return [audit_event(row, actor, "reconcile_accept_cancellation", before=before,
                                after=snapshot(row, *FIELDS), note=note, at=utcnow())]  # fmt: skip

        writer.finish(apply)
        done = say("Appointment %(id)s cancelled here, as in Cal.com (%(reason)s).", id=row.id, reason=reason)
        return Outcome(True, True, done, changed=True)

    return _under_claim(mismatch, actor, step)


def _rebook(mismatch: Mismatch, actor: User) -> Outcome:
    def step(writer: Writer) -> Outcome:
        row = writer.appointment
        closed = _closed(row)
        if closed:
            return _unchanged(writer, closed)
        dead = row.calcom_booking_uid
        if dead is not None and (booking := _current(writer, dead)) is not None:
            if is_live(booking):
                return _unchanged(writer, say("Cal.com knows booking %(uid)s: nothing to re-book.", uid=booking.uid))
            return _unchanged(writer, say("Cal.com has booking %(uid)s, cancelled.", uid=booking.uid), closes=False)
        live = writer.live_bookings()
        if live:
            found = live[-1]
            note = f"Reconciliation: Cal.com does not know {dead}, but keeps {found.uid} for this appointment."
            writer.finish(lambda row: _take_booking(row, found, actor, "reconcile_adopt", note))
            adopted = say("Cal.com keeps booking %(uid)s for it: adopted, nothing booked again.", uid=found.uid)
            return Outcome(True, True, adopted, True)

        def apply(row: Appointment) -> list[AuditEvent]:
            before = snapshot(row, *FIELDS)
            row.calcom_booking_uid = None
            row.sync_status = SyncStatus.PENDING
            row.next_retry_at = None
            note = f"Reconciliation: Cal.com does not know booking {dead}; to be booked anew."
            return [audit_event(row, actor, "reconcile_rebook", before=before, after=snapshot(row, *FIELDS),
                                note=note, at=utcnow())]  # fmt: skip

        fresh = writer.finish(apply)
        result = sync_appointment(fresh, actor=actor)
        if result.synced:
            return Outcome(True, True, say("Booked anew in Cal.com: booking %(uid)s.", uid=result.booking_uid), True)
        failed = say(
            "Put back to be booked anew, but booking it now failed: %(reason)s It is on the review board.",
            reason=result.message,
        )
        return Outcome(True, True, failed, True, detail=result.failure.detail if result.failure else None)

    return _under_claim(mismatch, actor, step)


def _accept_calcom(mismatch: Mismatch, actor: User) -> Outcome:
    def step(writer: Writer) -> Outcome:
        row = writer.appointment
        closed = _closed(row)
        if closed or row.calcom_booking_uid is None:
            none = closed or say("Appointment %(id)s keeps no Cal.com booking now.", id=row.id)
            return _unchanged(writer, none, closes=False)
        booking = _current(writer, row.calcom_booking_uid)
        if booking is None or not is_live(booking):
            gone = say("Cal.com keeps no live booking for %(uid)s now.", uid=row.calcom_booking_uid)
            return _unchanged(writer, gone, closes=False)
        same = (booking.uid, booking.start, booking.end, _staff_of(row, booking)) == (
            row.calcom_booking_uid, row.starts_at, row.ends_at, row.staff_id,
        )  # fmt: skip
        if same:
            agrees = say(
                "Appointment %(id)s agrees with Cal.com's booking %(uid)s already.", id=row.id, uid=booking.uid
            )
            return _unchanged(writer, agrees)
        note = f"Reconciliation: accepted Cal.com's booking {booking.uid} ({booking.start.isoformat()})."
        fresh = writer.finish(lambda row: _take_booking(row, booking, actor, "reconcile_accept_calcom", note))
        zone = fresh.company.time_zone
        who = fresh.staff.name if fresh.staff else say("no staff")
        now_as = say("Now as in Cal.com: %(time)s with %(who)s.", time=local_time(fresh.starts_at, zone), who=who)
        return Outcome(True, True, now_as, True)

    return _under_claim(mismatch, actor, step)


def _adopt_orphan(mismatch: Mismatch, actor: User) -> Outcome:
    uid = mismatch.booking_uid or ""

    def step(writer: Writer) -> Outcome:
        row = writer.appointment
        closed = _closed(row)
        if closed:
            instead = say("%(closed)s Its booking %(uid)s must be cancelled instead.", closed=closed, uid=uid)
            return _unchanged(writer, instead, closes=False)
        if row.calcom_booking_uid == uid:
            return _unchanged(writer, say("Appointment %(id)s keeps booking %(uid)s already.", id=row.id, uid=uid))
        try:
            booking: Booking | None = writer.client.get_booking(uid)
        except NotFoundError:
            booking = None
        if booking is None or not is_live(booking) or metadata_appointment_id(booking) != row.id:
            gone = say(
                "Booking %(uid)s is no live booking of appointment %(id)s now: nothing to adopt.", uid=uid, id=row.id
            )
            return _unchanged(writer, gone)
        held = _current(writer, row.calcom_booking_uid) if row.calcom_booking_uid else None
        if held is not None and is_live(held):
            keeps = say("Appointment %(id)s keeps live booking %(uid)s now.", id=row.id, uid=held.uid)
            return _unchanged(writer, keeps, closes=False)
        note = f"Reconciliation: adopted booking {uid}, which carries this appointment's id."
        writer.finish(lambda row: _take_booking(row, booking, actor, "reconcile_adopt", note))
        return Outcome(
            True, True, say("Booking %(uid)s adopted: appointment %(id)s keeps it now.", uid=uid, id=row.id), True
        )

    return _under_claim(mismatch, actor, step)


def _cancel_orphan(mismatch: Mismatch, actor: User) -> Outcome:
    row = db.session.get(Appointment, mismatch.appointment_id, populate_existing=True)
    if row is None:
        raise AppointmentNotFound(mismatch.appointment_id or 0)
    result = cancel_orphan(row.id, row.version, actor, mismatch.booking_uid or "")
    if result.ok:
        return Outcome(True, True, result.message, True)
    if "uid" in result.field_errors:
        return Outcome(True, True, say("Nothing to do: %(reason)s", reason=result.field_errors["uid"]))
    return Outcome(False, False, result.message, detail=result.detail)


REPAIRS: dict[str, Callable[[Mismatch, User], Outcome]] = {
    ACCEPT_CANCELLATION: _accept_cancellation,
    REBOOK: _rebook,
    ACCEPT_CALCOM: _accept_calcom,
    ADOPT_ORPHAN: _adopt_orphan,
    CANCEL_ORPHAN: _cancel_orphan,
}
BUTTONS = {
    ACCEPT_CANCELLATION: _l("Accept the cancellation"),
    REBOOK: _l("Re-book in Cal.com"),
    ACCEPT_CALCOM: _l("Accept Cal.com's time and host"),
    ADOPT_ORPHAN: _l("Adopt this booking"),
    CANCEL_ORPHAN: _l("Cancel this booking in Cal.com"),
}
"""The label of each repair's button."""
