"""Demo data built by the real pipeline: every booking and every error comes from Cal.com (or its simulator).

History is replayed: for appointments in the past, the simulator's clock is moved back to when the appointment
was made and the sync service runs at that moment, so past bookings exist in Cal.com exactly as they would.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests
from flask import current_app
from sqlalchemy import func, select

from calcom_simulator.admin_client import SimulatorAdmin
from ops_ui.auth.service import create_user
from ops_ui.calcom.client import CalcomClient
from ops_ui.calcom.types import Attendee
from ops_ui.demo import catalogue
from ops_ui.demo.phone_calls import replay_demo_calls
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.gateway import calcom_client
from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    AppointmentSource,
    AppointmentStatus,
    Base,
    Call,
    Company,
    Customer,
    EventTypeMapping,
    Role,
    Service,
    Staff,
    SyncStatus,
)

DAYS_BACK = 30
DAYS_AHEAD = 30
APPOINTMENTS_PER_DAY = 4
OUTAGE_AGO = timedelta(minutes=10)
"""When the demo's Cal.com outage happened: its failures' first retry (after one minute) is long due."""


class DemoRefused(RuntimeError):
    """Seeding would destroy or duplicate data."""


@dataclass
class DemoSummary:
    appointments: int = 0
    synced: int = 0
    failed: int = 0
    pending: int = 0
    calls: int = 0
    failures_by_category: dict[str, int] = field(default_factory=dict)


def seed_demo(admin: SimulatorAdmin, *, reset: bool, is_production: bool, now: datetime | None = None) -> DemoSummary:
    if is_production:
        raise DemoRefused("Refusing to seed demo data: the app is configured for production.")
    already_seeded = bool(db.session.scalar(select(func.count(Company.id))))
    if already_seeded and not reset:
        raise DemoRefused("Demo data is already present. Run with --reset to wipe it and seed again.")
    _require_simulator(admin)
    if already_seeded:
        _wipe_local_data()
    admin.reset()
    admin.set_rate_limit(limit=100_000, window_seconds=60, block_seconds=60)
    try:
        return DemoSeeder(admin, calcom_client(), now or datetime.now(UTC)).run()
    finally:
        admin.clear_clock()
        admin.clear_faults()
        admin.set_rate_limit(limit=120, window_seconds=60, block_seconds=60)


def _require_simulator(admin: SimulatorAdmin) -> None:
    """Nothing is wiped unless CALCOM_API_URL really is the local simulator, never a real Cal.com."""
    try:
        admin.health()
    except requests.RequestException as error:
        raise DemoRefused(
            f"No Cal.com simulator answers at {admin.base_url} (start it, or point CALCOM_API_URL at it): {error}"
        ) from error


def _wipe_local_data() -> None:
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


class DemoSeeder:
    def __init__(self, admin: SimulatorAdmin, client: CalcomClient, now: datetime) -> None:
        self.admin = admin
        self.client = client
        self.now = now.replace(second=0, microsecond=0)
        self.zone = ZoneInfo(catalogue.TIME_ZONE)
        self.rng = random.Random(20261122)
        self.company = Company(
            name=catalogue.COMPANY_NAME,
            time_zone=catalogue.TIME_ZONE,
            phone_number=catalogue.PHONE_NUMBER,
            locale="de",
        )
        self.staff: dict[str, list[Staff]] = {}
        self.calcom_user_ids: dict[str, int] = {}
        self.services: dict[str, Service] = {}
        self.customers: list[Customer] = []
        self.busy: dict[str, list[tuple[datetime, datetime]]] = {}

    def run(self) -> DemoSummary:
        db.session.add(self.company)
        db.session.flush()
        self._create_services()
        self._create_hosts_and_event_types()
        self._create_customers()
        self._create_logins()
        db.session.commit()

        self._create_field_situations()
        self._create_everyday_appointments()
        self._create_calls()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        replay_demo_calls(app, app.config["RETELL_API_KEY"], self.company, self._working_day(4))
        return self._summary()

    # --- catalogue -------------------------------------------------------------------------------------------

    def _create_services(self) -> None:
        for name, minutes in catalogue.SERVICES.items():
            service = Service(company_id=self.company.id, name=name, duration_minutes=minutes)
            db.session.add(service)
            self.services[name] = service
        db.session.flush()

    def _create_hosts_and_event_types(self) -> None:
        for person, offered in catalogue.HOSTS.items():
            username = person.lower().replace(" ", "-")
            email = f"{username}@salon-sonnenschein.de"
            user = self.admin.create_user(
                name=person,
                email=email,
                username=username,
                time_zone=catalogue.TIME_ZONE,
                working_hours=catalogue.OPENING_HOURS,
            )
            self.calcom_user_ids[person] = user["id"]
            copies = 2 if person == catalogue.DUPLICATED_HOST else 1
            records = [
                Staff(company_id=self.company.id, name=person, email=email, calcom_user_id=user["id"])
                for _ in range(copies)
            ]
            db.session.add_all(records)
            db.session.flush()
            self.staff[person] = records
            self.busy[person] = []
            for service_name in offered:
                service = self.services[service_name]
                event_type = self.admin.create_event_type(
                    title=f"{service_name} bei {person}",
                    slug=f"{_slug(service_name)}-{username}",
                    length_in_minutes=service.duration_minutes,
                    owner_id=user["id"],
                )
                for staff in records:
                    db.session.add(
                        EventTypeMapping(
                            service_id=service.id, staff_id=staff.id, calcom_event_type_id=event_type["id"]
                        )
                    )
        db.session.flush()

    def _create_customers(self) -> None:
        for index in range(60):
            first = catalogue.FIRST_NAMES[index % len(catalogue.FIRST_NAMES)]
            last = catalogue.LAST_NAMES[(index * 7) % len(catalogue.LAST_NAMES)]
            local = f"{first}.{last}".lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
            customer = Customer(
                company_id=self.company.id,
                name=f"{first} {last}",
                email=f"{local}{index}@kunden-mail.de",
                phone=f"+4915{self.rng.randint(100000000, 999999999)}",
            )
            self.customers.append(customer)
        db.session.add_all(self.customers)
        db.session.flush()

    def _create_logins(self) -> None:
        for login in catalogue.DEMO_LOGINS:
            create_user(login.email, login.password, Role(login.role), name=login.name)

    # --- the situations from the field report ------------------------------------------------------------------

    def _create_field_situations(self) -> None:
        fabian, fabian_again = self.staff[catalogue.DUPLICATED_HOST]
        perm = self.services["Dauerwelle"]

        tomorrow_ten = self._local(self._working_day(1), time(10, 0))
        self._walk_in_booking(catalogue.DUPLICATED_HOST, perm, tomorrow_ten)
        self._sync_now(self._appointment(self.customers[0], perm, fabian, tomorrow_ten))

        pair_start = self._local(self._working_day(2), time(14, 0))
        self._walk_in_booking(catalogue.DUPLICATED_HOST, perm, pair_start)
        pair_customer = self.customers[1]
        self._sync_now(self._appointment(pair_customer, perm, fabian, pair_start))
        self._sync_now(self._appointment(pair_customer, perm, fabian_again, pair_start))

        anonymous = Customer(
            company_id=self.company.id,
            name="Anonymer Anrufer",
            email=None,
            phone=f"anonymous_{int(self.now.timestamp())}_9f3a2c",
        )
        db.session.add(anonymous)
        mia = self.staff["Mia Wagner"][0]
        self._sync_now(self._appointment(anonymous, perm, mia, self._free_start("Mia Wagner", perm, 3)))

        for days in (4, 5):
            service = self.services["Damenhaarschnitt"]
            self._sync_now(
                self._appointment(self._customer(), service, None, self._local(self._working_day(days), time(16, 0)))
            )
        for days in (6, 7):
            service = self.services["Föhnen"]
            self._appointment(
                self._customer(),
                service,
                self.staff["Lukas Hoffmann"][0],
                self._free_start("Lukas Hoffmann", service, days),
            )

        self._create_past_failures()
        self._create_outage_failures()

    def _create_outage_failures(self) -> None:
        """Four coming appointments whose booking met a Cal.com outage a few minutes ago: their retry is due, so a
        minute after `make run` the job worker has cleared them without anyone clicking."""
        outage = self.now - OUTAGE_AGO
        faults: list[dict[str, object]] = [{"status": 503}, {"status": 500}, {"html502": True}, {"status": 503}]
        for days, (person, fault) in enumerate(zip(("Anna Becker", "Mia Wagner") * 2, faults, strict=True), start=2):
            service = self.services["Färben"]
            start = self._free_start(person, service, days)
            appointment = self._appointment(self._customer(), service, self.staff[person][0], start)
            appointment.created_at = appointment.updated_at = outage  # booked by phone during the outage
            db.session.commit()
            self.admin.set_faults(method="POST", count=1, **fault)
            sync_appointment(appointment, now=outage)
            self.admin.clear_faults()

    def _create_past_failures(self) -> None:
        """Twelve failures that can never sync: Cal.com broke when they were made, or nobody synced them in time."""
        faults = [{"status": 500}] * 3 + [{"html502": True}] * 3 + [{"status": 503}] * 2
        for index, fault in enumerate(faults):
            person = ("Anna Becker", "Mia Wagner")[index % 2]
            service = self.services["Färben"]
            start = self._free_start(person, service, -(3 + index * 3))
            appointment = self._appointment(self._customer(), service, self.staff[person][0], start)
            self.admin.set_faults(method="POST", count=1, **fault)
            self._sync_in_past(appointment)
            self.admin.clear_faults()
        for index in range(4):
            person = "Lukas Hoffmann"
            service = self.services["Herrenhaarschnitt"]
            start = self._free_start(person, service, -(2 + index * 5))
            appointment = self._appointment(self._customer(), service, self.staff[person][0], start)
            self._sync_now(appointment)

    # --- everyday business ---------------------------------------------------------------------------------------

    def _create_everyday_appointments(self) -> None:
        people = [person for person in catalogue.HOSTS if person != catalogue.DUPLICATED_HOST] + [
            catalogue.DUPLICATED_HOST
        ]
        past: list[Appointment] = []
        for days in range(-DAYS_BACK, DAYS_AHEAD + 1):
            day = self.now.astimezone(self.zone).date() + timedelta(days=days)
            if day.isoweekday() == 7:
                continue
            for slot_index in range(APPOINTMENTS_PER_DAY):
                person = people[(days + slot_index) % len(people)]
                service = self.services[self.rng.choice(catalogue.HOSTS[person])]
                start = self._first_free_on(person, service, day)
                if start is None or abs(start - self.now) < timedelta(hours=2):
                    continue
                staff = self.staff[person][0]
                appointment = self._appointment(self._customer(), service, staff, start)
                if start < self.now:
                    past.append(appointment)
                else:
                    self._sync_now(appointment)
        for appointment in past:
            self._sync_in_past(appointment)
            appointment.status = AppointmentStatus.NO_SHOW if self.rng.random() < 0.05 else AppointmentStatus.COMPLETED
        db.session.commit()

    def _create_calls(self) -> None:
        appointments = db.session.scalars(
            select(Appointment).where(Appointment.source == AppointmentSource.VOICE_AGENT)
        )
        calls = []
        for appointment in appointments:
            calls.append(
                Call(
                    external_call_id=f"call_{appointment.id:05d}_{self.rng.getrandbits(32):08x}",
                    company_id=self.company.id,
                    caller_number=appointment.customer.phone,
                    booking_confirmed=True,
                    booking_details=_booking_details(appointment),
                    appointment_id=appointment.id,
                    created_at=appointment.created_at,
                )
            )
        for index in range(9):
            start = self._local(self._working_day(1 + index % 5), time(11 + index % 5, 0))
            customer = self._customer()
            calls.append(
                Call(
                    external_call_id=f"call_lost_{index:02d}_{self.rng.getrandbits(32):08x}",
                    company_id=self.company.id,
                    caller_number=customer.phone,
                    booking_confirmed=True,
                    booking_details={
                        "customer_name": customer.name,
                        "customer_phone": customer.phone,
                        "customer_email": customer.email,
                        "service": "Damenhaarschnitt",
                        "staff": "Anna Becker",
                        "start": start.isoformat(),
                    },
                    created_at=self.now - timedelta(hours=3 + index),
                )
            )
        for index in range(12):
            calls.append(
                Call(
                    external_call_id=f"call_info_{index:02d}_{self.rng.getrandbits(32):08x}",
                    company_id=self.company.id,
                    caller_number=self._customer().phone,
                    booking_confirmed=False,
                    created_at=self.now - timedelta(days=index, hours=2),
                )
            )
        db.session.add_all(calls)
        db.session.commit()

    # --- helpers -------------------------------------------------------------------------------------------------

    def _appointment(self, customer: Customer, service: Service, staff: Staff | None, start: datetime) -> Appointment:
        created_at = min(self.now, start - timedelta(days=self.rng.randint(1, 6), hours=self.rng.randint(0, 8)))
        created_at = max(created_at, self.now - timedelta(days=DAYS_BACK + 10))
        appointment = Appointment(
            company_id=self.company.id,
            customer=customer,
            service_id=service.id,
            staff_id=staff.id if staff else None,
            starts_at=start,
            ends_at=start + timedelta(minutes=service.duration_minutes),
            sync_status=SyncStatus.PENDING,
            source=AppointmentSource.VOICE_AGENT if self.rng.random() < 0.7 else AppointmentSource.MANUAL,
            created_at=created_at,
            updated_at=created_at,
        )
        db.session.add(appointment)
        db.session.commit()
        if staff:
            self.busy[staff.name].append((start, appointment.ends_at))
        return appointment

    def _sync_now(self, appointment: Appointment) -> None:
        sync_appointment(appointment, now=self.now)

    def _sync_in_past(self, appointment: Appointment) -> None:
        """Run the sync at the moment the appointment was made, with Cal.com's clock set to match."""
        self.admin.set_clock_offset((appointment.created_at - datetime.now(UTC)).total_seconds())
        try:
            sync_appointment(appointment, now=appointment.created_at)
        finally:
            self.admin.clear_clock()

    def _walk_in_booking(self, person: str, service: Service, start: datetime) -> None:
        """Someone booked this host directly in Cal.com; Sync Desk only learns about it from the conflict."""
        event_type_id = db.session.scalars(
            select(EventTypeMapping.calcom_event_type_id).where(
                EventTypeMapping.staff_id == self.staff[person][0].id, EventTypeMapping.service_id == service.id
            )
        ).one()
        self.client.create_booking(
            event_type_id=event_type_id,
            start=start,
            attendee=Attendee(
                name="Stammkundin (direkt in Cal.com)", time_zone=catalogue.TIME_ZONE, email="direkt@kundin-mail.de"
            ),
        )
        self.busy[person].append((start, start + timedelta(minutes=service.duration_minutes)))

    def _customer(self) -> Customer:
        return self.rng.choice(self.customers[2:])

    def _working_day(self, days_from_today: int) -> date:
        day = self.now.astimezone(self.zone).date() + timedelta(days=days_from_today)
        while day.isoweekday() == 7:
            day += timedelta(days=1 if days_from_today >= 0 else -1)
        return day

    def _local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def _free_start(self, person: str, service: Service, days_from_today: int) -> datetime:
        day = self._working_day(days_from_today)
        while (start := self._first_free_on(person, service, day)) is None:
            day = self._working_day((day - self.now.astimezone(self.zone).date()).days + 1)
        return start

    def _first_free_on(self, person: str, service: Service, day: date) -> datetime | None:
        length = timedelta(minutes=service.duration_minutes)
        start = self._local(day, time(9, 0))
        closing = self._local(day, time(18, 0))
        while start + length <= closing:
            clash = next((end for begin, end in self.busy[person] if begin < start + length and start < end), None)
            if clash is None:
                return start
            start = clash
        return None

    def _summary(self) -> DemoSummary:
        summary = DemoSummary()
        for appointment in db.session.scalars(select(Appointment)):
            summary.appointments += 1
            if appointment.sync_status is SyncStatus.SYNCED:
                summary.synced += 1
            elif appointment.sync_status is SyncStatus.PENDING:
                summary.pending += 1
            else:
                summary.failed += 1
                category = appointment.last_error_category.value if appointment.last_error_category else "none"
                summary.failures_by_category[category] = summary.failures_by_category.get(category, 0) + 1
        summary.calls = db.session.scalar(select(func.count(Call.id))) or 0
        return summary


def _booking_details(appointment: Appointment) -> dict[str, str | None]:
    return {
        "customer_name": appointment.customer.name,
        "customer_phone": appointment.customer.phone,
        "customer_email": appointment.customer.email,
        "service": appointment.service.name,
        "staff": appointment.staff.name if appointment.staff else None,
        "start": appointment.starts_at.isoformat(),
    }


def _slug(text: str) -> str:
    return text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace(" ", "-")
