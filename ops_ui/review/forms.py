"""Forms of the board's actions. Each carries the appointment ``version`` the agent's screen showed, so a change
made meanwhile is refused (409) instead of overwritten; Flask-WTF adds the CSRF field."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # newer than types-WTForms
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from ops_ui.actions.cancel import REASONS
from ops_ui.actions.contact import NAME_LENGTH
from ops_ui.auth.forms import single_line
from ops_ui.bounded_ids import MAX_ID
from ops_ui.company_time import FIRST_YEAR, LAST_YEAR
from ops_ui.i18n import lazy_gettext as _l
from ops_ui.review.filters import is_id

VERSION_MESSAGE = _l("The form is missing the appointment's version; reload the page.")
CONTROL_CHARACTERS = frozenset(chr(code) for code in range(32)) - {"\t", "\n", "\r"}
MAX_INTEGER = MAX_ID
"""The largest value an integer column holds; a bigger number in a form is damaged input (422), not a 500."""


def plain_text(form: FlaskForm, field: StringField) -> None:
    """Text that will be stored and sent to Cal.com may hold no control characters (a NUL breaks PostgreSQL)."""
    if field.data and not CONTROL_CHARACTERS.isdisjoint(field.data):
        raise ValidationError(_l("Remove the invisible control characters from this text."))


class ActionForm(FlaskForm):
    version = IntegerField(
        # Labelled although hidden: for an unlabelled field WTForms translates a label from the field's name, and
        # Flask-WTF loads WTForms' catalogue from disk again for every request to do so.
        _l("Appointment version"),
        validators=[InputRequired(VERSION_MESSAGE), NumberRange(min=0, max=MAX_INTEGER, message=VERSION_MESSAGE)],
    )

    @property
    def seen_version(self) -> int:
        """The appointment version the agent's screen showed; read it only after the form validated."""
        if self.version.data is None:
            raise ValueError("the form has not been validated")
        return self.version.data


class RetryForm(ActionForm):
    """Only the version: the warning before repeating a business failure is a confirm dialog in the browser."""


PICK_A_FREE_TIME = _l("Pick one of the free times.")
FAR_AHEAD = _l("That time is more than a year ahead; pick one of the free times.")
"""The same words as the reschedule service's own check, which this one only runs ahead of (before any maths)."""


def offered_start(raw: str | None) -> datetime:
    """An aware ISO time within the years the board knows: year 9999 overflows once moved to another zone."""
    try:
        moment = datetime.fromisoformat((raw or "").replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(raw)
        year = moment.astimezone(UTC).year
    except (AttributeError, ValueError, OverflowError):
        raise ValidationError(PICK_A_FREE_TIME) from None
    if year < FIRST_YEAR:
        raise ValidationError(PICK_A_FREE_TIME)
    if year > LAST_YEAR:
        raise ValidationError(FAR_AHEAD)
    return moment


class RescheduleForm(ActionForm):
    start = HiddenField(validators=[DataRequired(PICK_A_FREE_TIME)])

    def validate_start(self, field: HiddenField) -> None:
        self.start_at = offered_start(field.data)


class ReassignForm(ActionForm):
    """A colleague, and optionally one of their free times (then the appointment moves there too)."""

    staff_id = IntegerField(
        _l("Staff member"),
        validators=[
            InputRequired(_l("Choose a staff member.")),
            NumberRange(min=1, max=MAX_INTEGER, message=_l("Choose a staff member.")),
        ],
    )
    start = HiddenField()
    start_at: datetime | None = None

    def validate_start(self, field: HiddenField) -> None:
        self.start_at = offered_start(field.data) if field.data else None

    @property
    def chosen_staff_id(self) -> int:
        if self.staff_id.data is None:
            raise ValueError("the form has not been validated")
        return self.staff_id.data


class CancelForm(ActionForm):
    reason_code = SelectField(
        _l("Reason"),
        choices=[
            SelectChoice("", _l("Choose a reason…")),
            *(SelectChoice(code, label) for code, label in REASONS.items()),
        ],
        validators=[DataRequired(_l("Choose why the appointment is cancelled."))],
    )
    reason_text = TextAreaField(_l("Details"), validators=[Optional(), Length(max=2000), plain_text])


KEEP_MESSAGE = _l("The form does not say which appointment to keep; reload the page.")


class DuplicateCancelForm(ActionForm):
    """The "Cancel as duplicate" button: only which twin is kept; the reason (``duplicate``) and its note follow."""

    keep = IntegerField(
        validators=[InputRequired(KEEP_MESSAGE), NumberRange(min=1, max=MAX_INTEGER, message=KEEP_MESSAGE)]
    )

    @property
    def kept_id(self) -> int:
        if self.keep.data is None:
            raise ValueError("the form has not been validated")
        return self.keep.data


NAME_MISSING = _l("Give the customer's name.")


def name_if_sent(form: FlaskForm, field: StringField) -> None:
    """A form without the name field keeps the name; a name field sent empty is a mistake to show."""
    if field.raw_data and not (field.data or "").strip():
        raise StopValidation(str(NAME_MISSING))


class ContactForm(ActionForm):
    """The customer's name (as Cal.com's attendee) and contact; the service checks them again, as the authority."""

    name = StringField(
        _l("Name"),
        validators=[name_if_sent, Length(max=NAME_LENGTH), single_line],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=320), plain_text])
    phone = StringField(
        _l("Phone"), validators=[Optional(), Length(max=64), plain_text], render_kw={"placeholder": "+49 30 1234567"}
    )
    and_retry = HiddenField()

    @property
    def entered_name(self) -> str | None:
        """The name as entered, or None when the form did not send the field (the name stays as it is)."""
        return self.name.data if self.name.raw_data else None


INCLUDE_UNCHANGED_LABEL = _l("Include business failures that were not changed (they will likely fail again)")
IDS_MESSAGE = _l("The selection holds something that is not an appointment number; reload the page.")


class AppointmentIds(Field):
    """Repeated ``ids`` parameters (the rows' checkboxes) as appointment ids; anything else is damaged input."""

    data: list[int] | None

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = []
        if not all(is_id(raw) and 0 < int(raw) <= MAX_INTEGER for raw in valuelist):
            raise ValueError(IDS_MESSAGE)
        self.data = [int(raw) for raw in valuelist]


class BulkRetryForm(FlaskForm):
    """The bulk bar: "Retry selected" (the ticked rows' ``ids``) or "Retry all in view" (``all``: the board's
    filter, sent in the query string, is resolved to ids on the server). No versions: each item is retried from the
    state it has when its job runs, and one that was fixed meanwhile is skipped."""

    ids = AppointmentIds()
    all = BooleanField()
    include_unchanged = BooleanField(INCLUDE_UNCHANGED_LABEL)

    @property
    def selected_ids(self) -> list[int]:
        """The ticked ids (a repeated one counts once: the run is over a set); read it only after validation."""
        return self.ids.data or []


class BulkCancelForm(FlaskForm):
    """Only the CSRF token: stopping a run needs nothing else."""
