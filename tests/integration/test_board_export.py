"""The board as a CSV file: the board's filters over the whole view, safe cells, the company scope, signed in only."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ops_ui.categories import ErrorCategory
from ops_ui.models import Appointment, Company, Role, Service, Staff, SyncStatus
from ops_ui.review import export
from tests.support.auth import login
from tests.support.factories import make_appointment, make_company, make_customer, make_service, make_staff, make_user

HEADER = [
    "ID",
    "Customer",
    "E-mail",
    "Phone",
    "Service",
    "Staff",
    "Start (Europe/Berlin)",
    "Status",
    "Sync status",
    "Category",
    "Attempts",
    "Last error",
]
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


def _failed(
    company: Company, service: Service, staff: Staff | None, starts_at: datetime = SOON, **fields: Any
) -> Appointment:
    customer = make_customer(
        company,
        fields.pop("name", "Erika Müller"),
        fields.pop("email", "erika@kunden-mail.de"),
        fields.pop("phone", None),
    )
    return make_appointment(
        customer,
        service,
        staff,
        starts_at=starts_at,
        sync_status=fields.pop("sync_status", SyncStatus.FAILED),
        last_error_category=fields.pop("last_error_category", ErrorCategory.HOST_CONFLICT),
        last_error_message=fields.pop("last_error_message", "User already has booking at this time\nbody: {}"),
        attempt_count=fields.pop("attempt_count", 2),
        failed_since=SOON - timedelta(days=4),
        **fields,
    )


def _export(client: FlaskClient, query: str = "") -> list[list[str]]:
    response = client.get(f"/review/export.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="sync-desk-board-')
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == HEADER
    return rows[1:]


def _ids(rows: list[list[str]]) -> list[int]:
    return [int(row[0]) for row in rows]


@pytest.fixture
def salon(app: Flask) -> tuple[Company, Service, Staff]:
    company = make_company()
    return company, make_service(company, "Dauerwelle", 135), make_staff(company, "Fabian Spitzer")


def test_export_lists_the_view_with_every_column_start_in_the_salons_time_zone(
    client: FlaskClient, salon: tuple[Company, Service, Staff]
) -> None:
    company, service, staff = salon
    start = datetime(2027, 1, 12, 9, 30, tzinfo=UTC)  # 10:30 in Berlin (CET)
    row = _failed(company, service, staff, start, phone="030 1234567", attempt_count=3)
    login(client, make_user(Role.MANAGER, company=company))

    assert _export(client) == [
        [
            str(row.id),
            "Erika Müller",
            "erika@kunden-mail.de",
            "030 1234567",
            "Dauerwelle",
            "Fabian Spitzer",
            "2027-01-12 10:30",
            "scheduled",
            "failed",
            "Host conflict",
            "3",
            "User already has booking at this time",
        ]
    ]


def test_export_honours_the_boards_filters(client: FlaskClient, salon: tuple[Company, Service, Staff]) -> None:
    company, service, staff = salon
    anna = make_staff(company, "Anna Berg")
    fabians = _failed(company, service, staff)
    annas = _failed(company, service, anna, name="Zora Zufall")
    timeout = _failed(company, service, staff, last_error_category=ErrorCategory.TIMEOUT)
    pending = _failed(company, service, staff, sync_status=SyncStatus.PENDING, last_error_category=None)
    past = _failed(company, service, staff, SOON - timedelta(days=10))
    login(client, make_user(Role.AGENT, company=company))

    assert _ids(_export(client)) == sorted([fabians.id, annas.id, timeout.id])  # the board's default: future failed
    assert _ids(_export(client, f"staff={staff.id}&kind=business")) == [fabians.id]
    assert _ids(_export(client, "category=TIMEOUT")) == [timeout.id]
    assert _ids(_export(client, "sync_status=pending")) == [pending.id]
    assert _ids(_export(client, "past=1")) == [past.id]
    assert _ids(_export(client, "q=zora")) == [annas.id]
    assert _ids(_export(client, "q=nobody-has-this-name")) == []
    assert client.get("/review/export.csv?staff=abc").status_code == 422


def test_export_holds_the_whole_filter_beyond_the_loaded_page_up_to_the_cap(
    client: FlaskClient, salon: tuple[Company, Service, Staff], monkeypatch: pytest.MonkeyPatch
) -> None:
    company, service, staff = salon
    rows = [_failed(company, service, staff, SOON + timedelta(minutes=minute)) for minute in range(60)]
    login(client, make_user(Role.AGENT, company=company))
    page = client.get("/review").get_data(as_text=True)
    assert len(re.findall(r'<tbody id="appt-(\d+)"', page)) == 50  # one page of the board
    cursor = re.search(r"after=([^&\"]+)", page)
    assert cursor, "the board offers a next page"

    assert _ids(_export(client)) == [row.id for row in rows]
    assert _ids(_export(client, f"after={cursor.group(1)}")) == [row.id for row in rows]  # from the first row
    monkeypatch.setattr(export, "EXPORT_LIMIT", 7)
    assert _ids(_export(client)) == [row.id for row in rows[:7]]


@pytest.mark.parametrize(
    ("typed", "written", "error_line"),
    [
        ('=HYPERLINK("http://evil.test","Klick")', '\'=HYPERLINK("http://evil.test","Klick")', None),
        ("+49 30 1234567", "'+49 30 1234567", None),
        ("-2+3", "'-2+3", None),
        ("@SUM(A1)", "'@SUM(A1)", None),
        ("\tcmd", "'\tcmd", "cmd"),  # the error's first line is shown stripped
        ("\rcmd", "'\rcmd", "cmd"),
        ("Jörg; Übermüller", "Jörg; Übermüller", None),
    ],
)
def test_export_cells_never_start_a_formula(
    client: FlaskClient, salon: tuple[Company, Service, Staff], typed: str, written: str, error_line: str | None
) -> None:
    company, service, staff = salon
    _failed(company, service, staff, name=typed, phone=typed, last_error_message=f"{typed}\nsecond line")
    login(client, make_user(Role.MANAGER, company=company))
    [row] = _export(client)
    assert (row[1], row[3], row[11]) == (written, written, error_line or written)


def test_export_shows_a_company_user_only_their_company(
    client: FlaskClient, salon: tuple[Company, Service, Staff]
) -> None:
    company, service, staff = salon
    ours = _failed(company, service, staff)
    other = make_company("Haarwerk")
    _failed(other, make_service(other, "Färben", 90), make_staff(other, "Other Stylist"))
    login(client, make_user(Role.AGENT, company=company))
    assert _ids(_export(client)) == [ours.id]


def test_export_shows_a_user_without_company_every_company(
    client: FlaskClient, salon: tuple[Company, Service, Staff]
) -> None:
    company, service, staff = salon
    ours = _failed(company, service, staff)
    other = make_company("Haarwerk")
    theirs = _failed(other, make_service(other, "Färben", 90), None, SOON + timedelta(hours=1))
    login(client, make_user(Role.ADMIN))
    rows = _export(client)
    assert _ids(rows) == [ours.id, theirs.id]
    assert rows[1][5] == ""  # no staff


def test_export_needs_a_session(client: FlaskClient) -> None:
    response = client.get("/review/export.csv")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_board_counts_link_to_the_export_of_the_same_view(
    client: FlaskClient, salon: tuple[Company, Service, Staff]
) -> None:
    company, service, staff = salon
    _failed(company, service, staff)
    login(client, make_user(Role.AGENT, company=company))
    page = client.get(f"/review?staff={staff.id}&kind=business").get_data(as_text=True)
    link = re.search(r'<a class="counts-export" href="([^"]+)"', page)
    assert link, "no export link next to the counts"
    assert html.unescape(link.group(1)) == f"/review/export.csv?sync_status=failed&kind=business&staff={staff.id}"
