"""The merge form: the record to keep and the records of the group it was shown with; Flask-WTF adds CSRF."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, IntegerField
from wtforms.validators import InputRequired, NumberRange

from ops_ui.i18n import lazy_gettext as _l

MAX_INTEGER = 2**31 - 1


class MergeForm(FlaskForm):
    keep = IntegerField(
        validators=[
            InputRequired(_l("Choose the record to keep.")),
            NumberRange(min=1, max=MAX_INTEGER, message=_l("Choose the record to keep.")),
        ]
    )
    merge = FieldList(IntegerField(validators=[NumberRange(min=1, max=MAX_INTEGER)]), min_entries=0)

    @property
    def keep_id(self) -> int:
        if self.keep.data is None:
            raise ValueError("the form has not been validated")
        return self.keep.data

    @property
    def merge_ids(self) -> list[int]:
        return [entry.data for entry in self.merge.entries if entry.data is not None]
