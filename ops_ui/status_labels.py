"""Status words for people: an appointment's status, sync status, source and operations with Cal.com, a user's
role, what became of a webhook delivery or a sign-in, worded in the page's language (``status_label``, also a Jinja
filter of that name).

The stored values stay the keys (``AppointmentStatus.CANCELLED.value == "cancelled"``); only their display is
translated. Lower case, as they read inside a sentence ("sync failed"); a badge capitalizes them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from ops_ui.auth.throttle import SIGNED_IN, THROTTLED, WRONG_CREDENTIALS
from ops_ui.i18n import Sentence
from ops_ui.models import AppointmentSource, AppointmentStatus, DeliveryOutcome, Role, SyncOperation, SyncStatus


def _n(text: str) -> str:
    """Marks a word for the catalogue (``pybabel extract -k _n``); it is translated when shown."""
    return text


WORDS: Mapping[enum.Enum | str, str] = MappingProxyType(
    {
        AppointmentStatus.SCHEDULED: _n("scheduled"),
        AppointmentStatus.CANCELLED: _n("cancelled"),
        AppointmentStatus.COMPLETED: _n("completed"),
        AppointmentStatus.NO_SHOW: _n("no show"),
        AppointmentStatus.EXPIRED: _n("expired"),
        SyncStatus.PENDING: _n("pending"),
        SyncStatus.SYNCED: _n("synced"),
        SyncStatus.FAILED: _n("failed"),
        SyncOperation.CREATE: _n("create"),
        SyncOperation.RESCHEDULE: _n("reschedule"),
        SyncOperation.CANCEL: _n("cancel"),
        SyncOperation.REASSIGN: _n("reassign"),
        SyncOperation.LOOKUP: _n("lookup"),
        AppointmentSource.VOICE_AGENT: _n("voice agent"),
        AppointmentSource.MANUAL: _n("manual"),
        AppointmentSource.BACKFILL: _n("backfill"),
        Role.AGENT: _n("agent"),
        Role.MANAGER: _n("manager"),
        Role.ADMIN: _n("admin"),
        DeliveryOutcome.RECEIVED: _n("received"),
        DeliveryOutcome.APPLIED: _n("applied"),
        DeliveryOutcome.ALREADY_IN_STEP: _n("already in step"),
        DeliveryOutcome.NOT_APPLIED: _n("not applied"),
        DeliveryOutcome.OWN_BOOKING: _n("own booking"),
        DeliveryOutcome.EXTERNAL_BOOKING: _n("external booking"),
        DeliveryOutcome.UNKNOWN_BOOKING: _n("unknown booking"),
        DeliveryOutcome.UNKNOWN_TRIGGER: _n("ignored: unknown trigger"),
        DeliveryOutcome.DUPLICATE: _n("duplicate"),
        DeliveryOutcome.RETRY: _n("retry"),
        DeliveryOutcome.INVALID: _n("invalid"),
        DeliveryOutcome.BAD_SIGNATURE: _n("bad signature"),
        SIGNED_IN: _n("signed in"),
        WRONG_CREDENTIALS: _n("wrong credentials"),
        THROTTLED: _n("throttled"),
    }
)
"""English words, the catalogue's keys, by enum member (or by the stored text of a sign-in's outcome)."""


def status_word(status: enum.Enum | str) -> Sentence:
    """``status`` as a word worded when shown: for a sentence that is stored in English and read in the page's
    language (``say("Appointment %(id)s is %(status)s now.", status=status_word(row.status))``)."""
    word = WORDS.get(status)
    if word is not None:
        return Sentence(word)
    raw = status.value if isinstance(status, enum.Enum) else status
    return Sentence(str(raw).replace("_", " "))  # no catalogue entry: it reads as stored, in every language


def status_label(status: enum.Enum | str | None) -> str:
    """``status`` in the reader's language; a value without a word (a new member, an old stored text) reads as it
    is stored, underscores as spaces, so a page never breaks on it."""
    return "—" if status is None else str(status_word(status))
