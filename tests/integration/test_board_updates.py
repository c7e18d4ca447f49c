"""The board's poller brings rows changed by others (a Cal.com webhook, the engine, a colleague) onto the screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops_ui.categories import ErrorCategory
from ops_ui.extensions import db
from ops_ui.models import AppointmentStatus, SyncStatus
from tests.support import factories
from tests.support.auth import login
from tests.support.statements import statements_run_by


def _failed_appointment(company):
    staff = factories.make_staff(company)
    service = factories.make_service(company, "Dauerwelle", 135)
    customer = factories.make_customer(company)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    return factories.make_appointment(
        customer,
        service,
        staff,
        sync_status=SyncStatus.FAILED,
        last_error_category=ErrorCategory.HOST_CONFLICT,
        created_at=an_hour_ago,
        updated_at=an_hour_ago,
    )


def _mark(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_row_changed_since_the_last_look_comes_out_of_band_and_the_poller_moves_on(app, client):
    company = factories.make_company()
    appointment = _failed_appointment(company)
    agent = factories.make_user(factories.Role.AGENT, company=company)
    login(client, agent)
    before = datetime.now(UTC)
    quiet = client.get(f"/review/updates?since={_mark(before)}").get_data(as_text=True)
    appointment.status = AppointmentStatus.CANCELLED  # e.g. cancelled in Cal.com, applied by its webhook
    db.session.commit()

    body = client.get(f"/review/updates?since={_mark(before)}").get_data(as_text=True)

    assert f'id="appt-{appointment.id}"' not in quiet
    assert body.startswith('<div id="board-updates"')
    row = body[body.index(f'<tbody id="appt-{appointment.id}"') :]
    assert 'hx-swap-oob="true"' in row[: row.index(">")] and "Cancelled" in row
    assert "<template>" in body  # table rows after a <div> survive the HTML parser only inside a template


def test_the_poller_never_shows_another_companys_rows_and_ignores_a_bad_mark(app, client):
    mine, theirs = factories.make_company("Salon A"), factories.make_company("Salon B")
    own = _failed_appointment(mine)
    other = _failed_appointment(theirs)
    login(client, factories.make_user(factories.Role.AGENT, company=mine))
    since = _mark(datetime.now(UTC) - timedelta(minutes=1))
    own.status = other.status = AppointmentStatus.CANCELLED  # both changed since the mark
    db.session.commit()

    body = client.get(f"/review/updates?since={since}").get_data(as_text=True)
    garbage = client.get("/review/updates?since=yesterday%3Cscript%3E")

    assert f'id="appt-{own.id}"' in body
    assert f'id="appt-{other.id}"' not in body
    assert garbage.status_code == 200 and "<script>" not in garbage.get_data(as_text=True)


def test_the_poller_looks_up_the_changed_rows_facts_together_not_row_by_row(app, client):
    company = factories.make_company()
    agent = factories.make_user(factories.Role.AGENT, company=company)
    login(client, agent)
    since = _mark(datetime.now(UTC))
    _failed_appointment(company).status = AppointmentStatus.CANCELLED
    db.session.commit()
    with statements_run_by(client.application) as one:
        client.get(f"/review/updates?since={since}")
    for _ in range(6):
        _failed_appointment(company).status = AppointmentStatus.CANCELLED
    db.session.commit()
    with statements_run_by(client.application) as seven:
        body = client.get(f"/review/updates?since={since}").get_data(as_text=True)

    assert body.count('hx-swap-oob="true"') == 7
    assert one and len(seven) == len(one)
