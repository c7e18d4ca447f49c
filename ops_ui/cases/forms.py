"""Forms of a case: taking it, assigning it, its log, and the one-click "was the customer informed?" answers."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ops_ui.i18n import lazy_gettext as _l
from ops_ui.models import ContactChannel, ContactOutcome
from ops_ui.review.filters import is_id
from ops_ui.review.forms import plain_text

TEXT_MAX = 4000
CHANNELS = {
    ContactChannel.PHONE: _l("Phone"),
    ContactChannel.EMAIL: _l("E-mail"),
    ContactChannel.SMS: _l("SMS"),
    ContactChannel.IN_PERSON: _l("In person"),
}
OUTCOMES = {
    ContactOutcome.REACHED: _l("Reached"),
    ContactOutcome.NO_ANSWER: _l("No answer"),
    ContactOutcome.LEFT_MESSAGE: _l("Left a message"),
    ContactOutcome.AGREED: _l("Agreed to the new time"),
    ContactOutcome.DECLINED: _l("Declined"),
}
OWNER_MESSAGE = _l("The form does not say who owned the case; reload the page.")


class OwnerField(Field):
    """The owner the agent's screen showed: a user id, or empty for nobody. Anything else is damaged input."""

    data: int | None

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if raw and not (is_id(raw) and int(raw) > 0):
            raise ValueError(str(OWNER_MESSAGE))
        self.data = int(raw) if raw else None


class TakeForm(FlaskForm):
    owner = OwnerField()
    takeover = BooleanField(_l("Yes, take it over"))


class AssignForm(FlaskForm):
    owner = OwnerField()
    assignee = SelectField(_l("Assign to"), coerce=int, validate_choice=True)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.assignee.choices = [SelectChoice(value, label) for value, label in choices]


def _enum_choices(labels: dict[Any, Any]) -> list[Any]:
    return [SelectChoice("", _l("Choose…")), *(SelectChoice(member.value, label) for member, label in labels.items())]


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Note"),
        validators=[DataRequired(_l("Write the note.")), Length(max=TEXT_MAX), plain_text],
    )


class ContactEntryForm(FlaskForm):
    channel = SelectField(_l("How"), choices=_enum_choices(CHANNELS), default="")
    outcome = SelectField(_l("Outcome"), choices=_enum_choices(OUTCOMES), default="")
    text = TextAreaField(_l("Details (optional)"), validators=[Optional(), Length(max=TEXT_MAX), plain_text])

    def validate_channel(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose how you contacted the customer."))

    def validate_outcome(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose what came of it."))

    @property
    def chosen_channel(self) -> ContactChannel:
        return ContactChannel(self.channel.data)

    @property
    def chosen_outcome(self) -> ContactOutcome:
        return ContactOutcome(self.outcome.data)


INFORMED_ANSWERS: dict[str, tuple[ContactChannel, ContactOutcome] | None] = {
    "phone_agreed": (ContactChannel.PHONE, ContactOutcome.AGREED),
    "phone_reached": (ContactChannel.PHONE, ContactOutcome.REACHED),
    "email": (ContactChannel.EMAIL, ContactOutcome.LEFT_MESSAGE),
    "not_reached": (ContactChannel.PHONE, ContactOutcome.NO_ANSWER),
    "later": None,
}
"""The one-click answers to "was the customer informed?": the contact each logs ("later" logs nothing)."""


class InformedForm(FlaskForm):
    answer = SelectField(
        choices=[SelectChoice(answer, answer) for answer in INFORMED_ANSWERS],
        validators=[DataRequired(_l("Choose an answer."))],
    )

    @property
    def contact(self) -> tuple[ContactChannel, ContactOutcome] | None:
        return INFORMED_ANSWERS[self.answer.data]
