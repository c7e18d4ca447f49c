"""Staff records that are the same person, and merging them into the one an admin keeps.

Sync Desk inherited staff records in which one person exists twice (the demo's "Fabian Spitzer"), so the voice
agent sees the same slot free twice. Records of one company are the same person when they share an e-mail address
(ignoring case), a Cal.com user, or a name (ignoring case and spacing); the relation is taken transitively, so a
group is every record linked to another by one of these. Only active records are listed: a merged record is
inactive, and with nothing left to move it is never offered again.

A merge is local bookkeeping in one transaction, all or nothing, and says nothing to Cal.com:

- every appointment of a merged record moves to the kept one, with one audit event each (``staff_merged``, naming
  the admin; its version moves on, so a screen that still shows the old record is refused as stale), plus one
  summary event of the merge (no appointment) listing what moved and what was dropped;
- event-type mappings move too, except for a service the kept record already has a mapping for: the kept one's
  stays (the admin chose that record, and its own appointments already sync with it), the other's is deleted
  (mappings have no "active" flag, and ``(service, staff)`` is unique); the summary keeps its event type id;
- the merged records become inactive (their rows stay: webhooks and history still name them).

An appointment that a writer holds right now (a live claim) is not changed underneath it: the merge is refused and
changes nothing, and the admin tries again a moment later. Claiming each appointment instead would commit claim by
claim and could leave a merge half done; claims last seconds, so refusing costs little. Each move is a conditional
``UPDATE … WHERE id = ? AND version = ? AND (no claim OR an expired one)``, so a claim taken between the check and
the move still refuses the whole merge.

Bookings made directly in Cal.com (``ExternalBooking``) stay with their record: they belong to a Cal.com user, and
the webhooks keep them with the active record of that user.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update

from ops_ui.engine.claims import NotAllowed
from ops_ui.extensions import db
from ops_ui.i18n import Sentence, in_english, say
from ops_ui.models import Appointment, AuditEvent, EventTypeMapping, Role, Staff, User, utcnow

APPOINTMENT_ACTION = "staff_merged"
SUMMARY_ACTION = "staff_merge"
REASONS = {"email": say("same e-mail"), "calcom": say("same Cal.com user"), "name": say("same name")}


class StaffNotFound(LookupError):
    """No such staff record, or one of a company the admin cannot see (not revealed as existing)."""


class MergeRefused(ValueError):
    """The merge does not make sense as asked (nothing chosen, not the same person, an inactive kept record)."""


class MergeBusy(Exception):
    """An appointment to move is being written right now; nothing was merged."""


@dataclass(frozen=True)
class StaffRecord:
    staff: Staff
    appointments: int
    mappings: int


@dataclass(frozen=True)
class DuplicateGroup:
    """Active records of one company that are the same person, oldest first, and why they are taken as one."""

    records: list[StaffRecord]
    reasons: list[Sentence]

    @property
    def ids(self) -> list[int]:
        return [record.staff.id for record in self.records]

    @property
    def suggested_keep(self) -> int:
        """The record with the most appointments (the oldest among equals): the fewest to move."""
        return max(self.records, key=lambda record: (record.appointments, -record.staff.id)).staff.id

    @property
    def calcom_users_differ(self) -> bool:
        """Synced bookings stay with their Cal.com user: worth saying before merging records of two users."""
        return len({record.staff.calcom_user_id for record in self.records}) > 1


@dataclass
class MergeOutcome:
    kept: Staff
    merged: list[Staff] = field(default_factory=list)
    moved_appointments: list[int] = field(default_factory=list)
    moved_mappings: list[int] = field(default_factory=list)
    dropped_mappings: list[dict[str, int]] = field(default_factory=list)

    @property
    def nothing_to_merge(self) -> bool:
        return not self.merged

    @property
    def message(self) -> Sentence:
        """For the admin, in their language; the audit note keeps it in English."""
        if self.nothing_to_merge:
            return say(
                "Nothing to merge: no other record of %(name)s is left to move into #%(id)s.",
                name=self.kept.name,
                id=self.kept.id,
            )
        return say(
            "Merged %(merged)s into #%(id)s %(name)s. Appointments moved: %(appointments)s, event types moved: "
            "%(mappings)s, duplicate event types dropped: %(dropped)s; %(merged)s inactive now.",
            merged=", ".join(f"#{staff.id}" for staff in self.merged),
            id=self.kept.id,
            name=self.kept.name,
            appointments=len(self.moved_appointments),
            mappings=len(self.moved_mappings),
            dropped=len(self.dropped_mappings),
        )


def normalised_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _keys(staff: Staff) -> Iterable[tuple[str, str]]:
    if staff.email and staff.email.strip():
        yield "email", staff.email.strip().casefold()
    if staff.calcom_user_id is not None:
        yield "calcom", str(staff.calcom_user_id)
    if normalised_name(staff.name):
        yield "name", normalised_name(staff.name)


def _groups_of(staff: Sequence[Staff]) -> list[tuple[list[Staff], list[Sentence]]]:
    """Records linked by a shared key, transitively (union–find over the keys), each with its shared reasons."""
    parent: dict[int, int] = {member.id: member.id for member in staff}

    def root(ident: int) -> int:
        while parent[ident] != ident:
            parent[ident] = parent[parent[ident]]
            ident = parent[ident]
        return ident

    first_with: dict[tuple[int, str, str], int] = {}
    for member in staff:
        for kind, value in _keys(member):
            other = first_with.setdefault((member.company_id, kind, value), member.id)
            parent[root(member.id)] = root(other)
    members: dict[int, list[Staff]] = {}
    for member in staff:
        members.setdefault(root(member.id), []).append(member)
    groups = [(sorted(group, key=lambda s: s.id), _reasons(group)) for group in members.values() if len(group) > 1]
    return sorted(groups, key=lambda item: item[0][0].id)


def _reasons(group: list[Staff]) -> list[Sentence]:
    """What the records of a group share: each kind of key held by more than one of them."""
    shared = Counter(key for member in group for key in _keys(member))
    kinds = {kind for (kind, _), number in shared.items() if number > 1}
    return [REASONS[kind] for kind in REASONS if kind in kinds]


def _company_staff(company_id: int | None, *, include: Iterable[int] = ()) -> list[Staff]:
    statement = select(Staff).where(or_(Staff.active.is_(True), Staff.id.in_(list(include)))).order_by(Staff.id)
    if company_id is not None:
        statement = statement.where(Staff.company_id == company_id)
    return list(db.session.scalars(statement))


def _counts(column: Any, staff_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(select(column, func.count()).where(column.in_(staff_ids)).group_by(column)).all()
    return {int(staff_id): int(number) for staff_id, number in rows}


def duplicate_groups(company_id: int | None) -> list[DuplicateGroup]:
    """The active records that are the same person, per company (``company_id`` None: every company)."""
    groups = _groups_of(_company_staff(company_id))
    ids = [member.id for group, _ in groups for member in group]
    appointments = _counts(Appointment.staff_id, ids)
    mappings = _counts(EventTypeMapping.staff_id, ids)
    return [
        DuplicateGroup(
            [StaffRecord(member, appointments.get(member.id, 0), mappings.get(member.id, 0)) for member in group],
            reasons,
        )
        for group, reasons in groups
    ]


def _visible_staff(actor: User, staff_id: int) -> Staff:
    staff = db.session.get(Staff, staff_id)
    if staff is None or (actor.company_id is not None and staff.company_id != actor.company_id):
        raise StaffNotFound(staff_id)
    return staff


def _load(actor: User, keep_id: int, merge_ids: Iterable[int]) -> tuple[Staff, list[Staff]]:
    """The kept record and the others, all visible to the admin and of one company (else ``StaffNotFound``)."""
    if not actor.is_active or actor.role is not Role.ADMIN:
        raise NotAllowed(f"{actor.name} may not merge staff records")
    kept = _visible_staff(actor, keep_id)
    others = [_visible_staff(actor, ident) for ident in sorted(set(merge_ids) - {keep_id})]
    if any(other.company_id != kept.company_id for other in others):
        raise StaffNotFound(keep_id)
    if not others:
        raise MergeRefused(say("Choose the record to keep and at least one other record of the same person."))
    if not kept.active:
        raise MergeRefused(say("#%(id)s is inactive; keep an active record.", id=kept.id))
    return kept, others


def _has_anything(staff: Staff) -> bool:
    return staff.active or bool(
        _counts(Appointment.staff_id, [staff.id]) or _counts(EventTypeMapping.staff_id, [staff.id])
    )


def _check_same_person(kept: Staff, others: list[Staff]) -> None:
    involved = [kept.id, *(other.id for other in others)]
    for group, _ in _groups_of(_company_staff(kept.company_id, include=involved)):
        if kept in group:
            strangers = [other for other in others if other not in group]
            break
    else:
        strangers = others
    if strangers:
        names = ", ".join(f"#{other.id} {other.name}" for other in strangers)
        raise MergeRefused(
            say(
                "%(names)s: not the same person as #%(id)s (no shared e-mail, Cal.com user or name).",
                names=names,
                id=kept.id,
            )
        )


def _check_unclaimed(others: list[Staff], now: datetime) -> None:
    held = db.session.execute(
        select(Appointment.id, Appointment.claimed_by).where(
            Appointment.staff_id.in_([other.id for other in others]),
            Appointment.claim_token.is_not(None),
            Appointment.claim_expires_at >= now,
        )
    ).all()
    if held:
        busy = ", ".join(
            str(say("#%(id)s by %(who)s", id=ident, who=holder or say("the sync engine"))) for ident, holder in held
        )
        raise MergeBusy(say("Being changed right now: %(busy)s. Nothing was merged; try again in a moment.", busy=busy))


def _move_appointments(kept: Staff, others: list[Staff], actor: User, now: datetime) -> list[AuditEvent]:
    rows = db.session.execute(
        select(Appointment.id, Appointment.version, Appointment.staff_id)
        .where(Appointment.staff_id.in_([other.id for other in others]))
        .order_by(Appointment.id)
    ).all()
    events = []
    for ident, version, staff_id in rows:
        moved = cast(
            "CursorResult[Any]",
            db.session.execute(
                update(Appointment)
                .where(
                    Appointment.id == ident,
                    Appointment.version == version,
                    or_(Appointment.claim_token.is_(None), Appointment.claim_expires_at < now),
                )
                .values(staff_id=kept.id, version=version + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            ),
        )
        if moved.rowcount != 1:
            raise MergeBusy(say("#%(id)s changed while merging. Nothing was merged; try again in a moment.", id=ident))
        events.append(
            AuditEvent(
                actor_id=actor.id,
                appointment_id=ident,
                action=APPOINTMENT_ACTION,
                before={"staff_id": staff_id},
                after={"staff_id": kept.id},
                note=f"Staff #{staff_id} merged into #{kept.id} {kept.name} by {actor.name}",
                at=now,
            )
        )
    return events


def _move_mappings(kept: Staff, others: list[Staff], outcome: MergeOutcome) -> None:
    covered = set(db.session.scalars(select(EventTypeMapping.service_id).where(EventTypeMapping.staff_id == kept.id)))
    mappings = db.session.scalars(
        select(EventTypeMapping)
        .where(EventTypeMapping.staff_id.in_([other.id for other in others]))
        .order_by(EventTypeMapping.id)
    ).all()
    for mapping in mappings:
        if mapping.service_id in covered:
            outcome.dropped_mappings.append(
                {
                    "staff_id": mapping.staff_id,
                    "service_id": mapping.service_id,
                    "event_type_id": mapping.calcom_event_type_id,
                }
            )
            db.session.execute(delete(EventTypeMapping).where(EventTypeMapping.id == mapping.id))
        else:
            covered.add(mapping.service_id)
            mapping.staff_id = kept.id
            outcome.moved_mappings.append(mapping.id)


def _summary(outcome: MergeOutcome, actor: User, now: datetime) -> AuditEvent:
    return AuditEvent(
        actor_id=actor.id,
        appointment_id=None,
        action=SUMMARY_ACTION,
        before={
            "staff": [
                {"id": s.id, "name": s.name, "email": s.email, "calcom_user_id": s.calcom_user_id}
                for s in outcome.merged
            ]
        },
        after={
            "kept_staff_id": outcome.kept.id,
            "moved_appointments": outcome.moved_appointments,
            "moved_mappings": outcome.moved_mappings,
            "dropped_mappings": outcome.dropped_mappings,
        },
        note=f"{actor.name}: {in_english(outcome.message)}",
        at=now,
    )


def merge_staff(actor: User, keep_id: int, merge_ids: Iterable[int], *, now: datetime | None = None) -> MergeOutcome:
    """Move everything of the records ``merge_ids`` to ``keep_id`` and deactivate them, in one transaction.

    Admins only (``NotAllowed``); records of another company are ``StaffNotFound``. Run again, it finds nothing
    left to move and changes nothing.
    """
    now = now or utcnow()
    kept, others = _load(actor, keep_id, merge_ids)
    outcome = MergeOutcome(kept)
    others = [other for other in others if _has_anything(other)]
    if not others:
        return outcome
    _check_same_person(kept, others)
    _check_unclaimed(others, now)
    try:
        events = _move_appointments(kept, others, actor, now)
        outcome.moved_appointments = [event.appointment_id for event in events if event.appointment_id is not None]
        _move_mappings(kept, others, outcome)
        for other in others:
            other.active = False
        outcome.merged = others
        db.session.add_all([*events, _summary(outcome, actor, now)])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome
