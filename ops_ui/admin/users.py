"""Accounts for admins: create, deactivate, role, company scope, one-time password reset links. Each change is
audited and committed here; a change that takes rights away ends the account's sessions at once."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ops_ui.auth.audit_trail import record
from ops_ui.auth.reset import new_reset_token
from ops_ui.auth.service import UnknownCompanyError, UserError, create_user
from ops_ui.extensions import db
from ops_ui.i18n import say
from ops_ui.models import Company, Role, User


class UserNotFound(LookupError):
    pass


def _label(user: User) -> str:
    return f"user {user.id} ({user.email})"


def visible_users(admin: User) -> Sequence[User]:
    """All accounts, or those of the admin's own company when the admin is bound to one."""
    statement = select(User).order_by(User.email)
    if admin.company_id is not None:
        statement = statement.where(User.company_id == admin.company_id)
    return db.session.scalars(statement).all()


def get_user(admin: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or (admin.company_id is not None and user.company_id != admin.company_id):
        raise UserNotFound(user_id)
    return user


def _check_company(admin: User, company_id: int | None) -> None:
    if admin.company_id is not None and company_id != admin.company_id:
        raise UnknownCompanyError(say("You can only give accounts your own company."))
    if company_id is not None and db.session.get(Company, company_id) is None:
        raise UnknownCompanyError(say("There is no company with id %(id)s.", id=company_id))


def add_user(admin: User, email: str, name: str, role: Role, company_id: int | None) -> tuple[User, str]:
    """A new account with a random password nobody knows, and a one-time link for its owner to choose one."""
    _check_company(admin, company_id)
    user = create_user(email, secrets.token_urlsafe(24), role, name=name or None, company_id=company_id, commit=False)
    record(admin, "user.created", _label(user), None, _state(user))
    link_token = new_reset_token(user)
    db.session.commit()
    return user, link_token


def _state(user: User) -> dict[str, object]:
    return {"role": user.role.value, "company_id": user.company_id, "active": user.active, "name": user.name}


def change_user(admin: User, user: User, *, role: Role, company_id: int | None, active: bool) -> bool:
    """Apply the form's role, company and active flag; True when anything changed. Less rights: sessions end."""
    _check_company(admin, company_id)
    if user.id == admin.id and (role != Role.ADMIN or not active):
        raise UserError(say("You cannot take the admin role from your own account or deactivate it."))
    before = _state(user)
    user.role, user.company_id, user.active = role, company_id, active
    after = _state(user)
    if before == after:
        return False
    record(admin, _change_action(before, after), _label(user), before, after)
    user.session_generation += 1  # the new rights apply from the next sign-in, on every device
    db.session.commit()
    return True


def _change_action(before: dict[str, object], after: dict[str, object]) -> str:
    if before["active"] != after["active"]:
        return "user.activated" if after["active"] else "user.deactivated"
    if before["role"] != after["role"]:
        return "user.role_changed"
    return "user.company_changed"


def make_reset_link(admin: User, user: User) -> str:
    """A one-time token for the reset link; the old password stops working and every session ends now."""
    token = new_reset_token(user)
    user.password_hash = generate_password_hash(secrets.token_urlsafe(24))
    user.session_generation += 1
    record(admin, "user.password_reset_link", _label(user), None, {"expires_at": str(user.reset_expires_at)})
    db.session.commit()
    return token
