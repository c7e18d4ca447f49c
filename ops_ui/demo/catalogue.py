"""The demo salon: who works there, what they offer, who calls."""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_NAME = "Salon Sonnenschein"
TIME_ZONE = "Europe/Berlin"
OPENING_HOURS = [{"days": [1, 2, 3, 4, 5, 6], "startTime": "09:00", "endTime": "18:00"}]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    name: str


DEMO_LOGINS = (
    DemoLogin("agent@salon-sonnenschein.de", "demo-agent-2026", "agent", "Ayla Agent"),
    DemoLogin("manager@salon-sonnenschein.de", "demo-manager-2026", "manager", "Max Manager"),
    DemoLogin("admin@salon-sonnenschein.de", "demo-admin-2026", "admin", "Ada Admin"),
)

SERVICES = {
    "Damenhaarschnitt": 60,
    "Herrenhaarschnitt": 30,
    "Färben": 90,
    "Dauerwelle": 135,
    "Strähnchen": 120,
    "Föhnen": 45,
}

HOSTS = {
    "Anna Becker": ("Damenhaarschnitt", "Färben", "Dauerwelle", "Strähnchen", "Föhnen"),
    "Fabian Spitzer": ("Damenhaarschnitt", "Herrenhaarschnitt", "Dauerwelle", "Föhnen"),
    "Mia Wagner": ("Damenhaarschnitt", "Färben", "Dauerwelle", "Strähnchen"),
    "Lukas Hoffmann": ("Herrenhaarschnitt", "Damenhaarschnitt", "Föhnen"),
}
DUPLICATED_HOST = "Fabian Spitzer"
"""Exists twice as staff, as in the records Sync Desk inherited: same person, same Cal.com user."""

FIRST_NAMES = (
    "Erika", "Jonas", "Leonie", "Felix", "Hannah", "Paul", "Sophie", "Tim", "Lea", "Niklas",
    "Clara", "Ben", "Marie", "Elias", "Emma", "Noah", "Lina", "Luis", "Greta", "Moritz",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Koch", "Richter", "Klein",
    "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
)  # fmt: skip

PHONE_NUMBER = "+493098765432"
"""The number the salon's phone agent answers (how intake finds the company)."""
