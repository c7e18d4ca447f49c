"""The answer to one function call: JSON the phone agent reads, always with a German sentence for the caller.

``confirmed`` is true only when the appointment exists locally and in Cal.com; every other answer says plainly
what is and is not done.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.Enum):
    AVAILABLE = "available"
    NOTHING_FREE = "nothing_free"
    BOOKED = "booked"
    ALREADY_BOOKED = "already_booked"
    NOT_CONFIRMED = "not_confirmed"
    """The appointment exists locally but Cal.com has not confirmed it (yet); staff will follow up."""
    TAKEN = "taken"
    """The time is not free (any more); nothing was booked."""
    NEEDS_EMAIL = "needs_email"
    INVALID = "invalid"
    CALENDAR_UNREACHABLE = "calendar_unreachable"
    """Cal.com could not be asked; nothing was booked or changed."""
    IN_PROGRESS = "in_progress"
    """The same request is still being worked on (a retry that came too early); nothing is confirmed yet."""
    CANCELLED = "cancelled"
    CANCEL_NOTED = "cancel_noted"
    """Cancelled here; Cal.com's booking is cancelled by the sync engine as soon as Cal.com answers."""
    NOT_CANCELLED = "not_cancelled"
    NOT_FOUND = "not_found"
    WHICH_ONE = "which_one"


@dataclass(frozen=True)
class Answer:
    status: Status
    message: str
    """German, to be read to the caller."""
    data: dict[str, Any] = field(default_factory=dict)
    """Structured facts for the agent (times, appointment id, field problems)."""

    @property
    def confirmed(self) -> bool:
        return self.status in (Status.BOOKED, Status.ALREADY_BOOKED)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status.value, "confirmed": self.confirmed, "message": self.message, **self.data}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Answer:
        data = {key: value for key, value in stored.items() if key not in ("status", "confirmed", "message")}
        return cls(Status(stored["status"]), stored["message"], data)


def invalid(message: str, **problems: str) -> Answer:
    return Answer(Status.INVALID, message, {"problems": problems} if problems else {})


CALENDAR_UNREACHABLE = Answer(
    Status.CALENDAR_UNREACHABLE,
    "Ich kann gerade leider nicht in den Kalender schauen. Bitte versuchen Sie es in ein paar Minuten noch einmal.",
)
