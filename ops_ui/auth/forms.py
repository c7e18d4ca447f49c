"""Forms of the sign-in area; Flask-WTF adds the CSRF field."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import EmailField, Field, HiddenField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ops_ui.auth.service import MIN_PASSWORD_LENGTH
from ops_ui.i18n import LANGUAGES
from ops_ui.i18n import lazy_gettext as _l

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters other than tab and line breaks: a NUL makes PostgreSQL refuse the whole statement."""


def plain_text(form: FlaskForm, field: Field) -> None:
    """Text that reaches the database may hold no control characters; refused as a field error, never a 500."""
    if isinstance(field.data, str) and CONTROL.search(field.data):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


def single_line(form: FlaskForm, field: Field) -> None:
    """Names, e-mails and numbers are one line: no control characters at all."""
    if isinstance(field.data, str) and re.search(r"[\x00-\x1f\x7f]", field.data):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired(), Length(max=320), single_line], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    next = HiddenField()


class SetPasswordForm(FlaskForm):
    """The owner of a reset link chooses a new password."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("password", _l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(SetPasswordForm):
    """A signed-in user replaces their own password; the current one proves it is them at the keyboard."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class LanguageForm(FlaskForm):
    """The language a signed-in user reads the app in; each language is named in itself, so anyone finds theirs."""

    locale = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()],
    )
