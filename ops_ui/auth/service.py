"""Staff accounts: creating them and checking passwords. This module owns the transaction; callers never commit."""

from __future__ import annotations

from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ops_ui.extensions import db
from ops_ui.i18n import say
from ops_ui.models import Company, Role, User

MIN_PASSWORD_LENGTH = 10

# Checked when no account matches, so a wrong e-mail costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-only-for-timing")


class UserError(ValueError):
    """A user cannot be created as asked; ``str()`` is a message for the operator."""


class DuplicateUserError(UserError):
    pass


class WeakPasswordError(UserError):
    pass


class InvalidEmailError(UserError):
    pass


class UnknownCompanyError(UserError):
    pass


def normalise_email(email: str) -> str:
    """Accounts are found case-insensitively: people type their address in whatever case."""
    return email.strip().lower()


def create_user(
    email: str,
    password: str,
    role: Role,
    *,
    name: str | None = None,
    company_id: int | None = None,
    commit: bool = True,
) -> User:
    """Create an active account with a hashed password, or raise a UserError saying why not.

    ``commit=False`` leaves the commit to a caller that records more in the same transaction (the admin area).
    """
    try:
        address = validate_email(email.strip(), check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError as exc:
        raise InvalidEmailError(say("Not a usable e-mail address: %(reason)s", reason=exc)) from exc
    address = normalise_email(address)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(say("The password must have at least %(count)s characters.", count=MIN_PASSWORD_LENGTH))
    if company_id is not None and db.session.get(Company, company_id) is None:
        raise UnknownCompanyError(say("There is no company with id %(id)s.", id=company_id))
    if find_user_by_email(address) is not None:
        raise DuplicateUserError(say("A user with the e-mail %(email)s already exists.", email=address))

    user = User(
        email=address,
        name=(name or address.split("@", 1)[0]).strip(),
        password_hash=generate_password_hash(password),
        role=role,
        company_id=company_id,
        active=True,
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == normalise_email(email))).first()


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None.

    Unknown e-mail, wrong password and inactive account all give the same None, so the login page cannot be used to
    find out which addresses have accounts.
    """
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


def load_active_user(user_id: str) -> User | None:
    """The session's user, or None once the account is deactivated (which ends the session on its next request)."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.is_active else None


def list_users() -> Sequence[User]:
    return db.session.scalars(select(User).order_by(User.email)).all()


def set_language(user: User, locale: str) -> None:
    """The user's own language from now on, on every page and device (it is stored, not kept in the session)."""
    user.locale = locale
    db.session.commit()
