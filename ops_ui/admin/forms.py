"""Forms of the admin area. Every text is one line without control characters and within its column's length;
numbers are within an integer column; choices come from the lists shown. Flask-WTF adds the CSRF field."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ops_ui.auth.forms import single_line
from ops_ui.bounded_ids import MAX_ID
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import Role

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
ROLE_CHOICES = [
    SelectChoice(Role.AGENT.value, _l("Agent")),
    SelectChoice(Role.MANAGER.value, _l("Manager")),
    SelectChoice(Role.ADMIN.value, _l("Administrator")),
]
ALL_COMPANIES = ""


def optional_id(value: Any) -> int | None:
    """A company chosen from the list, or None for "all companies"; damaged values fail the choice check."""
    if value in (None, ALL_COMPANIES):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and int(text) <= MAX_ID else -1


def company_field(label: str, *, allow_all: bool) -> SelectField:
    validators = [] if allow_all else [InputRequired(_l("Choose a company."))]
    return SelectField(label, coerce=optional_id, validators=validators)


def id_field(label: str, message: str) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(message), NumberRange(min=1, max=MAX_ID, message=message)])


class UserForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[DataRequired(_l("Choose a role."))])
    company_id = company_field(_l("Company (none: all companies)"), allow_all=True)

    @property
    def chosen_role(self) -> Role:
        return Role(self.role.data)


class NewUserForm(UserForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(_l("Enter an e-mail address.")), Length(max=320), single_line]
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200), single_line])


class EditUserForm(UserForm):
    active = BooleanField(_l("Active (may sign in)"))


def _zone(form: FlaskForm, field: StringField) -> None:
    try:
        ok = bool(field.data) and field.data in available_timezones() and ZoneInfo(field.data) is not None
    except (ZoneInfoNotFoundError, ValueError):
        ok = False
    if not ok:
        raise ValidationError(_l("Use a time zone like Europe/Berlin."))


def _phone(form: FlaskForm, field: StringField) -> None:
    if field.data and not E164.fullmatch(field.data):
        raise ValidationError(_l("Use the international format, like +493012345678."))


class CompanyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200), single_line])
    time_zone = StringField(_l("Time zone"), default="Europe/Berlin", validators=[Length(max=64), single_line, _zone])
    phone_number = StringField(
        _l("Phone number the phone agent answers"),
        validators=[Optional(), Length(max=32), single_line, _phone],
        filters=[lambda value: (value or "").replace(" ", "") or None],
    )


class ServiceForm(FlaskForm):
    company_id = company_field(_l("Company"), allow_all=False)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200), single_line])
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            InputRequired(_l("Enter the duration.")),
            NumberRange(min=5, max=24 * 60, message=_l("5 to 1440.")),
        ],
    )


class StaffForm(FlaskForm):
    company_id = company_field(_l("Company"), allow_all=False)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200), single_line])
    email = EmailField(
        _l("E-mail"), validators=[Optional(), Length(max=320), single_line], filters=[lambda v: v or None]
    )
    calcom_user_id = IntegerField(
        _l("Cal.com user id"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=_l("Not a Cal.com user id."))],
    )
    active = BooleanField(_l("Active"), default=True)


class MappingForm(FlaskForm):
    service_id = SelectField(_l("Service"), coerce=optional_id, validators=[InputRequired(_l("Choose a service."))])
    calcom_event_type_id = id_field(_l("Cal.com event type id"), _l("Enter the event type's id from Cal.com."))


class RemoveForm(FlaskForm):
    """Only the CSRF token."""
