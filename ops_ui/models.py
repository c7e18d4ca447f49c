"""Typed SQLAlchemy 2 models. Times are stored as UTC and displayed in the company's time zone."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

from ops_ui.categories import ErrorCategory

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no time zones) and always hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(enum_class: type[enum.Enum]) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppointmentStatus(enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    EXPIRED = "expired"
    """Its start passed before it ever reached Cal.com; closed by the clean-up, kept for the record."""


class SyncStatus(enum.Enum):
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"


class AppointmentSource(enum.Enum):
    VOICE_AGENT = "voice_agent"
    MANUAL = "manual"
    BACKFILL = "backfill"


class SyncOperation(enum.Enum):
    CREATE = "create"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    REASSIGN = "reassign"
    LOOKUP = "lookup"


class Role(enum.Enum):
    AGENT = "agent"
    MANAGER = "manager"
    ADMIN = "admin"


class Company(Base):
    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    phone_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    """The number (E.164) the phone agent answers for the company: how an incoming call finds its company."""
    locale: Mapped[str | None] = mapped_column(String(8))
    """The language its staff see unless they chose their own ("de", "en"); None: the app's default."""


class Staff(Base):
    """One Cal.com host. The same person may exist twice; duplicates are detected, not prevented."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    calcom_user_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    company: Mapped[Company] = relationship()


class Service(Base):
    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)

    company: Mapped[Company] = relationship()


class EventTypeMapping(Base):
    """Which Cal.com event type books a service with a staff member."""

    __tablename__ = "event_type_mapping"
    __table_args__ = (UniqueConstraint("service_id", "staff_id", name="service_staff"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    calcom_event_type_id: Mapped[int] = mapped_column(Integer)

    service: Mapped[Service] = relationship()
    staff: Mapped[Staff] = relationship()


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))

    company: Mapped[Company] = relationship()


class Appointment(Base):
    __tablename__ = "appointment"
    __table_args__ = (
        # The board's queue in start order, covering what its category counts read.
        Index("ix_appointment_queue", "sync_status", "starts_at", "id", "status", "last_error_category", "company_id"),
        Index("ix_appointment_created", "created_at"),
        # Covers every column the health dashboard reads of failed and pending appointments, so its counts scan
        # index entries instead of scattered rows (130 ms -> 15 ms at a million appointments).
        Index(
            "ix_appointment_health",
            "sync_status",
            "company_id",
            "last_error_category",
            "starts_at",
            "status",
            "failed_since",
            "staff_id",
            "service_id",
            "next_retry_at",
            "last_attempt_at",
            "created_at",
            "handover_reason",
        ),
        # The board filtered by staff member: its page and its category counts read index entries only (and the
        # dashboard's failed-per-staff-and-service breakdown, which SQLite may plan on it, too).
        Index(
            "ix_appointment_queue_staff",
            "sync_status",
            "staff_id",
            "starts_at",
            "id",
            "status",
            "last_error_category",
            "company_id",
            "service_id",
        ),
        # What holds a conflicted slot: one staff member's appointments around a start (ops_ui.review.slot_holders).
        Index("ix_appointment_staff_slot", "staff_id", "starts_at", "ends_at", "sync_status", "status", "customer_id"),
        # The board's poller: rows changed since its last look.
        Index("ix_appointment_updated", "updated_at"),
        # Unanswered writes the engine settles (one of the terms of "due now", ops_ui.engine.due).
        Index("ix_appointment_unsettled", "uncertain_since"),
        # Possible duplicates of a page's rows (same customer, start and service) from index entries only.
        Index("ix_appointment_same_booking", "customer_id", "starts_at", "service_id", "status", "sync_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[AppointmentStatus] = mapped_column(_enum(AppointmentStatus), default=AppointmentStatus.SCHEDULED)
    sync_status: Mapped[SyncStatus] = mapped_column(_enum(SyncStatus), default=SyncStatus.PENDING)
    calcom_booking_uid: Mapped[str | None] = mapped_column(String(64), index=True)
    last_error_category: Mapped[ErrorCategory | None] = mapped_column(_enum(ErrorCategory))
    last_error_message: Mapped[str | None] = mapped_column(Text)
    last_error_status: Mapped[int | None] = mapped_column(Integer)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[AppointmentSource] = mapped_column(_enum(AppointmentSource), default=AppointmentSource.MANUAL)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    """Set while one writer (an agent's action or the engine) talks to Cal.com for this appointment."""
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """A claim older than this was left by a process that died; the next writer may take it over."""
    uncertain_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    uncertain_request: Mapped[str | None] = mapped_column(Text)
    """A Cal.com write that may have been committed without us seeing the answer; looked up before any other."""
    handover_reason: Mapped[str | None] = mapped_column(Text)
    """Why the engine stopped retrying a technical failure and left it to a person (None: not handed over)."""
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    """Set with the status ``expired`` by the clean-up of appointments that can never sync."""
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    """The agent working on the case (``ops_ui.cases.ownership``); None: nobody has taken it. Not a change of the
    appointment: taking it leaves the version, so nobody's screen goes stale."""
    owner_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it from the class)

    company: Mapped[Company] = relationship()
    customer: Mapped[Customer] = relationship()
    service: Mapped[Service] = relationship()
    staff: Mapped[Staff | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


class Call(Base):
    """A voice-agent call. Confirmed calls must have an appointment; those without are a desync."""

    __tablename__ = "call"
    __table_args__ = (Index("ix_call_confirmed_appointment", "booking_confirmed", "appointment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_call_id: Mapped[str] = mapped_column(String(128), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    caller_number: Mapped[str | None] = mapped_column(String(64))
    booking_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    booking_details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    booking_error: Mapped[str | None] = mapped_column(Text)
    """Why the last booking the caller asked for could not be confirmed, in full (Cal.com's words included)."""
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    appointment: Mapped[Appointment | None] = relationship()


class IntakeRequest(Base):
    """One function the phone agent asked for in a call (a booking or a cancellation) and the answer it got.

    The platform retries a request it did not hear back from, and callers repeat themselves: the same call asking
    the same thing with the same arguments finds this row and gets the same answer, so nothing is done twice.
    While ``answered_at`` is empty the request is being worked on, until ``lease_expires_at``; after that (its process
    died) the next identical request takes it over.
    """

    __tablename__ = "intake_request"
    __table_args__ = (UniqueConstraint("call_id", "function", "arguments_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id"))
    function: Mapped[str] = mapped_column(String(64))
    arguments_key: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the arguments as canonical JSON."""
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lease_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncAttempt(Base):
    """One HTTP exchange with Cal.com, stored whole. The API key is never stored."""

    __tablename__ = "sync_attempt"
    __table_args__ = (
        Index("ix_sync_attempt_appointment_at", "appointment_id", "at"),
        # The dashboard's trend counts attempts per day from these alone, for all companies or for one.
        Index("ix_sync_attempt_at_succeeded", "at", "succeeded"),
        Index("ix_sync_attempt_company_at_succeeded", "company_id", "at", "succeeded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    """Copied from the appointment so per-company figures need not join millions of attempts to appointments."""
    operation: Mapped[SyncOperation] = mapped_column(_enum(SyncOperation))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    request_body: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    error_category: Mapped[ErrorCategory | None] = mapped_column(_enum(ErrorCategory))
    error_message: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


NO_COMPANY = 0
"""``SyncAttemptTally.company_id`` of attempts that belong to no appointment, hence to no company."""


class SyncAttemptTally(Base):
    """Attempts counted per company and UTC quarter hour, kept in step with ``sync_attempt`` on every flush.

    The dashboard's 30-day trend sums a few thousand of these instead of counting millions of attempts; quarter
    hours cut cleanly at local midnight in every real time zone.
    """

    __tablename__ = "sync_attempt_tally"
    __table_args__ = (
        # The trend over all companies sums quarter hours of every company: without it, a planner without statistics
        # (an SQLite file before its first ANALYZE) reads the whole tally once per day, 0.5 s at a million appointments.
        Index("ix_sync_attempt_tally_quarter", "quarter", "succeeded", "failed"),
    )

    company_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quarter: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Stamped into every session at sign-in and compared on every request: raising it (sign-out, deactivation, a
    new password, "sign out everywhere") ends every copy of every session cookie of the user at once."""
    reset_token_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the one-time password reset link an admin made; None when there is none."""
    reset_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locale: Mapped[str | None] = mapped_column(String(8))
    """The language the user chose ("de", "en"); None: the company's."""
    home_time_zone: Mapped[str | None] = column_property(
        select(Company.time_zone)
        .where(or_(Company.id == company_id, company_id.is_(None)))
        .order_by(Company.id)
        .limit(1)
        .correlate_except(Company)
        .scalar_subquery()
    )
    """The time zone of the user's company, or with no company (a user who sees all of them) the first company's:
    loaded with the user, so a page needs no statement of its own for its dates."""
    company_locale: Mapped[str | None] = column_property(
        select(Company.locale).where(Company.id == company_id).correlate_except(Company).scalar_subquery()
    )
    """The language of the user's company (None without one), loaded with the user like ``home_time_zone``."""

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_act(self) -> bool:
        """Agents and admins fix appointments; managers only watch."""
        return self.role in (Role.AGENT, Role.ADMIN)


class LoginEvent(Base):
    """One sign-in attempt, successful or not (never the password). The throttle counts the recent failures."""

    __tablename__ = "login_event"
    __table_args__ = (
        Index("ix_login_event_email_at", "email", "at"),
        Index("ix_login_event_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    email: Mapped[str] = mapped_column(String(320))
    """The address as typed (lower-cased, cut to 320 characters), whether or not an account has it."""
    address: Mapped[str] = mapped_column(String(64))
    """The client's IP address."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(32))
    """``signed in``, ``wrong credentials`` or ``throttled``."""

    user: Mapped[User | None] = relationship()


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_appointment_at", "appointment_id", "at"),
        # The changes a customer must be told about, per appointment (ops_ui.cases.queries.not_informed_count).
        Index("ix_audit_event_action_appointment_at", "action", "appointment_id", "at"),
        # The team's work over the last days, per person (ops_ui.health.team).
        Index("ix_audit_event_at_actor", "at", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class EnginePass(Base):
    """One due pass of the sync engine: when it ran and what it did. The dashboard's "Sync engine" tile reads the
    latest; a worker that falls silent shows as a pass too long ago."""

    __tablename__ = "engine_pass"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tried: Mapped[int] = mapped_column(Integer, default=0)
    synced: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    deferred: Mapped[int] = mapped_column(Integer, default=0)
    """Put back for after Cal.com's rate-limit window: neither synced nor failed."""


class BulkRunState(enum.Enum):
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class BulkRun(Base):
    """An agent's "retry selected" or "retry all in view": one job per appointment, counted here."""

    __tablename__ = "bulk_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    started_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    state: Mapped[BulkRunState] = mapped_column(_enum(BulkRunState), default=BulkRunState.RUNNING)
    include_unchanged: Mapped[bool] = mapped_column(Boolean, default=False)
    """Also retry business failures whose input did not change since Cal.com refused it."""
    total: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    started_by: Mapped[User] = relationship()


class BulkItemOutcome(enum.Enum):
    SYNCED = "synced"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not sent: unchanged business input, already synced, being changed by someone else, or the run cancelled."""


class BulkRunItem(Base):
    __tablename__ = "bulk_run_item"
    __table_args__ = (Index("ix_bulk_run_item_run_outcome", "run_id", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bulk_run.id"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    outcome: Mapped[BulkItemOutcome | None] = mapped_column(_enum(BulkItemOutcome))
    """None while waiting in the queue."""
    error_category: Mapped[ErrorCategory | None] = mapped_column(_enum(ErrorCategory))
    note: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryOutcome(enum.Enum):
    """What became of one webhook delivery from Cal.com."""

    RECEIVED = "received"
    """Stored, not yet handled (a process that died meanwhile leaves this; Cal.com's redelivery handles it)."""
    APPLIED = "applied"
    ALREADY_IN_STEP = "already in step"
    """The appointment already agrees with Cal.com (Sync Desk made the change itself)."""
    NOT_APPLIED = "not applied"
    """It names an appointment, but the change does not fit it (a closed appointment); the note says why."""
    OWN_BOOKING = "own booking"
    EXTERNAL_BOOKING = "external booking"
    UNKNOWN_BOOKING = "unknown booking"
    UNKNOWN_TRIGGER = "ignored: unknown trigger"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    """Another writer held the appointment; answered 503 so Cal.com delivers again."""
    INVALID = "invalid"
    BAD_SIGNATURE = "bad signature"

    @property
    def settled(self) -> bool:
        """Handled to the end: the same delivery again is a duplicate."""
        return self in SETTLED_OUTCOMES


SETTLED_OUTCOMES = frozenset(
    {
        DeliveryOutcome.APPLIED,
        DeliveryOutcome.ALREADY_IN_STEP,
        DeliveryOutcome.NOT_APPLIED,
        DeliveryOutcome.OWN_BOOKING,
        DeliveryOutcome.EXTERNAL_BOOKING,
        DeliveryOutcome.UNKNOWN_BOOKING,
        DeliveryOutcome.UNKNOWN_TRIGGER,
    }
)


class WebhookDelivery(Base):
    """One POST from Cal.com to /webhooks/calcom, stored whole whatever became of it.

    Cal.com sends no delivery id, so ``replay_key`` is the SHA-256 of the raw body: a redelivery is byte-identical.
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_company_received", "company_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    trigger: Mapped[str | None] = mapped_column(String(64))
    """``triggerEvent`` of a signed delivery (None when the signature was refused or the body unreadable)."""
    booking_uid: Mapped[str | None] = mapped_column(String(64), index=True)
    raw_body: Mapped[str] = mapped_column(Text)
    signature_valid: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[DeliveryOutcome] = mapped_column(_enum(DeliveryOutcome))
    note: Mapped[str | None] = mapped_column(Text)
    replay_key: Mapped[str] = mapped_column(String(64), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"))
    """The company of the appointment or external booking it names; None: seen only by users of all companies."""

    appointment: Mapped[Appointment | None] = relationship()
    company: Mapped[Company | None] = relationship()


class ExternalBooking(Base):
    """A Cal.com booking of a mapped staff member that Sync Desk did not make (booked in Cal.com directly).

    Kept in step by later deliveries for its uid; Sync Desk never makes an appointment of it.
    """

    __tablename__ = "external_booking"
    __table_args__ = (Index("ix_external_booking_company_starts", "company_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    event_type_id: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attendee_name: Mapped[str | None] = mapped_column(Text)
    attendee_email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    """Cal.com's status, lower-case (``accepted``, ``pending``, ``cancelled``)."""
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
    rescheduled_from_uid: Mapped[str | None] = mapped_column(String(64), index=True)
    """The uid it had before a reschedule in Cal.com (the row follows the booking to its new uid)."""
    source_delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"))
    last_delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()
    staff: Mapped[Staff] = relationship()


class MismatchKind(enum.Enum):
    """What a reconciliation found out of step between calls, appointments and Cal.com's bookings."""

    CALL_WITHOUT_APPOINTMENT = "call_without_appointment"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_MISSING = "booking_missing"
    TIME_DIFFERS = "time_differs"
    HOST_DIFFERS = "host_differs"
    ORPHAN_BOOKING = "orphan_booking"


class ReconciliationRun(Base):
    """One comparison of a company's calls, appointments and Cal.com bookings over a window of days.

    ``finished_at`` None: queued or running. ``error`` is Cal.com's failure, whole, when it ended the run early; its
    mismatches are then not stored (a half-read Cal.com would report everything it did not read as missing).
    """

    __tablename__ = "reconciliation_run"
    __table_args__ = (Index("ix_reconciliation_run_company_requested", "company_id", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    """None: the hourly job."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bookings_seen: Mapped[int] = mapped_column(Integer, default=0)
    appointments_seen: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    """Mismatches found per kind (``MismatchKind`` value → count)."""
    error: Mapped[str | None] = mapped_column(Text)

    company: Mapped[Company] = relationship()
    requested_by: Mapped[User | None] = relationship()


class Mismatch(Base):
    """One thing a run found out of step, and its repair once a person made it."""

    __tablename__ = "reconciliation_mismatch"
    __table_args__ = (Index("ix_reconciliation_mismatch_run_kind", "run_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_run.id"))
    kind: Mapped[MismatchKind] = mapped_column(_enum(MismatchKind))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"))
    booking_uid: Mapped[str | None] = mapped_column(String(64))
    repair: Mapped[str | None] = mapped_column(String(32))
    """The repair its button makes (``ops_ui.reconcile.repairs``); None: repaired elsewhere (the backfill)."""
    detail: Mapped[str] = mapped_column(Text)
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    repaired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    repair_note: Mapped[str | None] = mapped_column(Text)

    run: Mapped[ReconciliationRun] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    call: Mapped[Call | None] = relationship()
    repaired_by: Mapped[User | None] = relationship()


class CaseEntryKind(enum.Enum):
    NOTE = "note"
    CONTACT = "contact"
    """The customer was contacted (or tried): ``channel`` and ``outcome`` say how and what came of it."""


class ContactChannel(enum.Enum):
    PHONE = "phone"
    EMAIL = "email"
    SMS = "sms"
    IN_PERSON = "in_person"


class ContactOutcome(enum.Enum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    LEFT_MESSAGE = "left_message"
    AGREED = "agreed"
    """Agreed to the new time."""
    DECLINED = "declined"


class CaseEntry(Base):
    """One line of an appointment's case log: a free note, or a contact with the customer. Never edited."""

    __tablename__ = "case_entry"
    __table_args__ = (Index("ix_case_entry_appointment_at", "appointment_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[CaseEntryKind] = mapped_column(_enum(CaseEntryKind))
    channel: Mapped[ContactChannel | None] = mapped_column(_enum(ContactChannel))
    outcome: Mapped[ContactOutcome | None] = mapped_column(_enum(ContactOutcome))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()
