"""What the deliveries page lists, limited to what the user may see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ops_ui.extensions import db
from ops_ui.models import ExternalBooking, Role, User, WebhookDelivery

PAGE_SIZE = 100


def sees_every_company(user: User) -> bool:
    """Admins and users bound to no company see every delivery, also those that name nothing of ours."""
    return user.role is Role.ADMIN or user.company_id is None


def latest_deliveries(user: User, limit: int = PAGE_SIZE) -> list[WebhookDelivery]:
    """Newest first. A user of one company sees the deliveries naming its appointments or external bookings."""
    statement = select(WebhookDelivery).options(selectinload(WebhookDelivery.company))
    if not sees_every_company(user):
        statement = statement.where(WebhookDelivery.company_id == user.company_id)
    statement = statement.order_by(WebhookDelivery.received_at.desc(), WebhookDelivery.id.desc()).limit(limit)
    return list(db.session.scalars(statement))


def latest_external_bookings(user: User, limit: int = PAGE_SIZE) -> list[ExternalBooking]:
    """The most recently changed external bookings, with their staff member and company."""
    statement = select(ExternalBooking).options(
        selectinload(ExternalBooking.staff), selectinload(ExternalBooking.company)
    )
    if not sees_every_company(user):
        statement = statement.where(ExternalBooking.company_id == user.company_id)
    statement = statement.order_by(ExternalBooking.updated_at.desc(), ExternalBooking.id.desc()).limit(limit)
    return list(db.session.scalars(statement))
