"""Forms of the sign-in area; Flask-WTF adds the CSRF field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    next = HiddenField()
