"""The rules of reconciliation: what counts as out of step, pure functions over what was read.

Cal.com is the side the salon's staff look at, so every finding is phrased as what Cal.com says against what Sync
Desk shows. A booking Cal.com rescheduled is followed to the booking that replaced it (``rescheduledToUid``,
CONTRACT §10): a moved booking is a changed time, not a cancellation, and its new uid no orphan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ops_ui.calcom.types import Booking
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.formatting import local_time
from ops_ui.models import Appointment, AppointmentStatus, Call, MismatchKind

MAX_HOPS = 5
"""Reschedules followed from the uid an appointment holds; a longer chain is left at its last known booking."""
DEAD_STATUSES = frozenset({"cancelled", "rejected"})

REBOOK = "rebook"
ACCEPT_CANCELLATION = "accept_cancellation"
ACCEPT_CALCOM = "accept_calcom"
CANCEL_ORPHAN = "cancel_orphan"
ADOPT_ORPHAN = "adopt_orphan"


def is_live(booking: Booking) -> bool:
    return booking.status not in DEAD_STATUSES


@dataclass(frozen=True)
class Resolved:
    """Where Cal.com keeps a booking now: ``booking`` is the last one reached along ``chain`` (the uids followed
    through reschedules); None when Cal.com does not know the first uid."""

    booking: Booking | None
    chain: tuple[str, ...]


def resolve(uid: str, known: Mapping[str, Booking], fetch: Callable[[str], Booking | None]) -> Resolved:
    """Follow ``uid`` through Cal.com's reschedules; ``known`` are bookings already read, ``fetch`` reads one more
    (None: Cal.com answered 404)."""
    chain = [uid]
    booking = known.get(uid) or fetch(uid)
    while booking is not None and not is_live(booking) and len(chain) <= MAX_HOPS:
        successor_uid = booking.rescheduled_to_uid
        if successor_uid is None or successor_uid in chain:
            break
        successor = known.get(successor_uid) or fetch(successor_uid)
        if successor is None:
            break
        chain.append(successor_uid)
        booking = successor
    return Resolved(booking, tuple(chain))


@dataclass(frozen=True)
class Finding:
    kind: MismatchKind
    detail: str
    appointment_id: int | None = None
    call_id: int | None = None
    booking_uid: str | None = None
    repair: str | None = None


def appointment_finding(row: Appointment, resolved: Resolved, time_zone: str) -> Finding | None:
    """What is wrong with an appointment shown synced and scheduled, given where Cal.com keeps its booking."""
    uid = row.calcom_booking_uid
    booking = resolved.booking
    if booking is None:
        detail = f"Sync Desk shows booking {uid}, which Cal.com does not know (404)."
        return Finding(MismatchKind.BOOKING_MISSING, detail, row.id, booking_uid=uid, repair=REBOOK)
    if not is_live(booking):
        detail = f"Cal.com {cancellation_text(booking)}; Sync Desk still shows it as booked."
        return Finding(
            MismatchKind.BOOKING_CANCELLED, detail, row.id, booking_uid=booking.uid, repair=ACCEPT_CANCELLATION
        )
    differences = _differences(row, booking, time_zone)
    if not differences:
        return None
    kind = MismatchKind.HOST_DIFFERS if differences[0].startswith("host") else MismatchKind.TIME_DIFFERS
    moved = f" (rescheduled in Cal.com: {' → '.join(resolved.chain)})" if booking.uid != uid else ""
    detail = "Cal.com's " + "; ".join(differences) + moved + "."
    return Finding(kind, detail, row.id, booking_uid=booking.uid, repair=ACCEPT_CALCOM)


def _differences(row: Appointment, booking: Booking, time_zone: str) -> list[str]:
    """What Cal.com's live booking says differently from the appointment, time first."""
    found: list[str] = []
    if booking.start != row.starts_at or booking.end != row.ends_at:
        found.append(
            f"time is {local_time(booking.start, time_zone)}–{local_time(booking.end, time_zone)}, Sync Desk shows "
            f"{local_time(row.starts_at, time_zone)}–{local_time(row.ends_at, time_zone)}"
        )
    host = row.staff.calcom_user_id if row.staff is not None else None
    if host is not None and booking.host_ids and host not in booking.host_ids:
        hosts = ", ".join(str(host_id) for host_id in booking.host_ids)
        name = row.staff.name if row.staff is not None else "?"
        found.append(f"host is Cal.com user {hosts}, Sync Desk shows {name} (Cal.com user {host})")
    if not found and booking.uid != row.calcom_booking_uid:
        found.append(f"booking is {booking.uid} at the same time, Sync Desk shows {row.calcom_booking_uid}")
    return found


def cancellation_text(booking: Booking) -> str:
    """``cancelled booking X by <e-mail>: <reason>``, leaving out what Cal.com does not say."""
    text = f"cancelled booking {booking.uid}"
    by = booking.raw.get("cancelledByEmail")
    if isinstance(by, str) and by:
        text += f" by {by}"
    return f"{text}: {booking.cancellation_reason}" if booking.cancellation_reason else text


def metadata_appointment_id(booking: Booking) -> int | None:
    """The appointment id Sync Desk put into the booking's metadata, if any."""
    value = booking.metadata.get(METADATA_KEY)
    return int(value) if value is not None and value.isdigit() else None


def orphan_findings(
    bookings: Iterable[Booking],
    claimed: set[str],
    appointments: Mapping[int, Appointment],
    holds_live: Callable[[Appointment], bool],
) -> list[Finding]:
    """Live bookings carrying one of ``appointments``' ids that the appointment does not keep.

    ``claimed`` are the uids appointments keep (followed through reschedules); ``holds_live`` tells whether an
    appointment's own booking is live. An appointment still scheduled that keeps no live booking adopts its newest
    orphan; every other orphan is cancelled.
    """
    by_appointment: dict[int, list[Booking]] = {}
    for booking in bookings:
        appointment_id = metadata_appointment_id(booking)
        if (
            appointment_id is None
            or appointment_id not in appointments
            or not is_live(booking)
            or booking.uid in claimed
        ):
            continue
        by_appointment.setdefault(appointment_id, []).append(booking)
    findings: list[Finding] = []
    for appointment_id, orphans in by_appointment.items():
        row = appointments[appointment_id]
        adopt = row.status is AppointmentStatus.SCHEDULED and not holds_live(row)
        newest = max(orphans, key=lambda booking: booking.id)
        for booking in sorted(orphans, key=lambda booking: booking.id):
            chosen = adopt and booking is newest
            findings.append(
                Finding(
                    MismatchKind.ORPHAN_BOOKING,
                    _orphan_detail(row, booking, chosen),
                    appointment_id,
                    booking_uid=booking.uid,
                    repair=ADOPT_ORPHAN if chosen else CANCEL_ORPHAN,
                )
            )
    return findings


def _orphan_detail(row: Appointment, booking: Booking, adopt: bool) -> str:
    start = booking.start.isoformat()
    if row.status is not AppointmentStatus.SCHEDULED:
        return f"Live booking {booking.uid} ({start}) carries appointment {row.id}, which is {row.status.value}."
    if adopt:
        return (
            f"Live booking {booking.uid} ({start}) carries appointment {row.id}, which keeps no live booking: "
            "Sync Desk can adopt it."
        )
    return f"Live booking {booking.uid} ({start}) carries appointment {row.id}, which keeps {row.calcom_booking_uid}."


def call_finding(call: Call, created_at_text: str) -> Finding:
    caller = call.caller_number or "an unknown number"
    detail = (
        f"Call {call.external_call_id} from {caller} ({created_at_text}) was confirmed to the caller, "
        "but no appointment exists."
    )
    return Finding(MismatchKind.CALL_WITHOUT_APPOINTMENT, detail, call_id=call.id)


def window_bounds(now: datetime, days_back: int, days_ahead: int) -> tuple[datetime, datetime]:
    """From ``days_back`` days before ``now`` to ``days_ahead`` days after it."""
    return now - timedelta(days=days_back), now + timedelta(days=days_ahead)
