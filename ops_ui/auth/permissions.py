"""Who may see and do what, checked on the server.

Three rules: every page needs a signed-in user unless its view is marked ``@public``; a role check returns 403;
a user bound to a company sees only that company's rows, and other rows answer 404 (their existence is not told).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute

from ops_ui.extensions import db
from ops_ui.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

PUBLIC_ENDPOINTS = frozenset({"static"})
_PUBLIC_MARK = "_sync_desk_public"


def public(view: F) -> F:
    """Let a view be reached without a session (the login page, health probes). Everything else is protected."""
    setattr(view, _PUBLIC_MARK, True)
    return view


def is_public_endpoint(app: Flask, endpoint: str | None) -> bool:
    if endpoint is None:
        return False
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    view = app.view_functions.get(endpoint)
    return bool(view is not None and getattr(view, _PUBLIC_MARK, False))


def signed_in_user() -> User:
    """The current user; only call where the global login guard has already run."""
    user = current_user._get_current_object()
    if not isinstance(user, User):
        abort(401)
    return user


def has_role(*roles: Role, user: User | None = None) -> bool:
    user = user or signed_in_user()
    return user.role in roles


def require_role(*roles: Role) -> Callable[[F], F]:
    """Decorator: 403 unless the signed-in user has one of ``roles``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


require_actor = require_role(Role.AGENT, Role.ADMIN)
"""For actions that change appointments: agents and admins act, managers only watch."""


def can_see_company(company_id: int | None, user: User | None = None) -> bool:
    user = user or signed_in_user()
    return user.company_id is None or user.company_id == company_id


def scope_to_user(
    statement: Select[Any], company_column: ColumnElement[Any] | InstrumentedAttribute[Any], user: User | None = None
) -> Select[Any]:
    """Limit a query to the companies the user may see (all of them when the user has no company)."""
    user = user or signed_in_user()
    if user.company_id is None:
        return statement
    return statement.where(company_column == user.company_id)


def get_visible_or_404(model: type[T], ident: Any, user: User | None = None) -> T:
    """Load a company-owned row by primary key; 404 when it is missing or belongs to a company the user cannot see."""
    row = db.session.get(model, ident)
    if row is None or not can_see_company(getattr(row, "company_id", None), user):
        abort(404)
    return row
