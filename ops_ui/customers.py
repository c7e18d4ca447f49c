"""Finding a company's customer by what a caller gives (the e-mail first, then the phone number), and what they
have booked already."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ops_ui.contact import normalise_phone, usable_phone
from ops_ui.extensions import db
from ops_ui.models import Appointment, AppointmentStatus, Customer


def find_customer(company_id: int, email: str | None, phone: str | None) -> Customer | None:
    """The company's customer with this e-mail (any case), else with this phone (as given or in E.164)."""
    in_company = select(Customer).where(Customer.company_id == company_id).order_by(Customer.id).limit(1)
    if email:
        found = db.session.scalars(in_company.where(func.lower(Customer.email) == email.lower())).first()
        if found is not None:
            return found
    if usable_phone(phone):
        variants = {phone, normalise_phone(phone)}
        return db.session.scalars(in_company.where(Customer.phone.in_(variants))).first()
    return None


def booked_already(customer_id: int, service_id: int, start: datetime) -> Appointment | None:
    """The customer's scheduled appointment for this service at this start (the oldest, if there are several)."""
    return db.session.scalars(
        select(Appointment)
        .where(
            Appointment.customer_id == customer_id,
            Appointment.service_id == service_id,
            Appointment.starts_at == start,
            Appointment.status == AppointmentStatus.SCHEDULED,
        )
        .order_by(Appointment.id)
        .limit(1)
    ).first()
