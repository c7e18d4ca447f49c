"""Small builders for test data; each commits so services see the rows as the app would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from werkzeug.security import generate_password_hash

from ops_ui.extensions import db
from ops_ui.models import (
    Appointment,
    AppointmentSource,
    Company,
    Customer,
    EventTypeMapping,
    Role,
    Service,
    Staff,
    SyncStatus,
    User,
)

_sequence = count(1)
PASSWORD = "correct horse battery"


def make_company(name: str = "Salon Schnitt", time_zone: str = "Europe/Berlin") -> Company:
    company = Company(name=name, time_zone=time_zone)
    db.session.add(company)
    db.session.commit()
    return company


def make_staff(company: Company, name: str = "Fabian Spitzer", calcom_user_id: int | None = None) -> Staff:
    staff = Staff(
        company_id=company.id, name=name, email=f"staff{next(_sequence)}@salon.test", calcom_user_id=calcom_user_id
    )
    db.session.add(staff)
    db.session.commit()
    return staff


def make_service(company: Company, name: str = "Dauerwelle", duration_minutes: int = 135) -> Service:
    service = Service(company_id=company.id, name=name, duration_minutes=duration_minutes)
    db.session.add(service)
    db.session.commit()
    return service


def map_event_type(service: Service, staff: Staff, event_type_id: int) -> EventTypeMapping:
    mapping = EventTypeMapping(service_id=service.id, staff_id=staff.id, calcom_event_type_id=event_type_id)
    db.session.add(mapping)
    db.session.commit()
    return mapping


def make_customer(
    company: Company, name: str = "Erika Muster", email: str | None = "erika@kunden-mail.de", phone: str | None = None
) -> Customer:
    customer = Customer(company_id=company.id, name=name, email=email, phone=phone)
    db.session.add(customer)
    db.session.commit()
    return customer


def make_appointment(
    customer: Customer,
    service: Service,
    staff: Staff | None,
    starts_at: datetime | None = None,
    sync_status: SyncStatus = SyncStatus.PENDING,
    **fields: object,
) -> Appointment:
    starts_at = starts_at or next_weekday_at(10)
    appointment = Appointment(
        company_id=customer.company_id,
        customer_id=customer.id,
        service_id=service.id,
        staff_id=staff.id if staff else None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=service.duration_minutes),
        sync_status=sync_status,
        source=AppointmentSource.VOICE_AGENT,
        **fields,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment


def make_user(role: Role = Role.AGENT, email: str | None = None, company: Company | None = None) -> User:
    user = User(
        email=email or f"{role.value}{next(_sequence)}@syncdesk.test",
        name=f"{role.value.capitalize()} Person",
        password_hash=generate_password_hash(PASSWORD),
        role=role,
        company_id=company.id if company else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def next_weekday_at(hour_utc: int, days_ahead: int = 2) -> datetime:
    """A start inside usual salon hours (Mon–Fri), a few days from now, in UTC."""
    day = datetime.now(UTC).replace(hour=hour_utc, minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
