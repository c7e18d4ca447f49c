"""What an appointment's case section shows on its detail page: the owner, whom it can go to, the log, the forms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ops_ui.cases.contact_log import entries
from ops_ui.cases.forms import CHANNELS, OUTCOMES, AssignForm, ContactEntryForm, NoteForm
from ops_ui.cases.ownership import colleagues
from ops_ui.cases.queries import is_not_informed
from ops_ui.models import Appointment


def assign_form(appointment: Appointment, formdata: Any = None) -> AssignForm:
    """The colleague select; without ``formdata`` (a fresh page) it names nobody, so the agent must choose."""
    choices = [(person.id, person.name) for person in colleagues(appointment)]
    if formdata is None:
        return AssignForm(formdata=None, choices=choices)
    return AssignForm(formdata, choices=choices)


def case_context(appointment: Appointment, **forms: Any) -> dict[str, Any]:
    """The section's template context; ``forms`` replaces a blank form with a submitted one (its errors shown)."""
    return {
        "case": {
            "entries": entries(appointment),
            "not_informed": is_not_informed(appointment, datetime.now(UTC)),
            "assign_form": forms.get("assign_form") or assign_form(appointment),
            "note_form": forms.get("note_form") or NoteForm(formdata=None),
            "contact_form": forms.get("contact_form") or ContactEntryForm(formdata=None),
            "channels": CHANNELS,
            "outcomes": OUTCOMES,
        },
        "case_errors": forms.get("errors") or {},
    }
