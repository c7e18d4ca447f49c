"""Cases through the views: who owns an appointment (take, take over, assign), its log of notes and contacts, the
"was the customer informed?" question after a change, the board's case filters, and the links out (tel:, Cal.com)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from ops_ui import create_app
from ops_ui.cases.ownership import OwnerChanged, take
from ops_ui.cases.queries import not_informed_count
from ops_ui.extensions import db
from ops_ui.models import Appointment, CaseEntry, ContactOutcome, Role, SyncStatus, User
from tests.support import factories, records
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.salon import Salon, make_synced_salon, slot_start


class Desk:
    """One signed-in browser talking htmx: CSRF token from the page, HX-Request set."""

    def __init__(self, client: FlaskClient, user: User) -> None:
        login(client, user)
        self.client = client
        self.headers = {**HTMX_HEADERS, "X-CSRFToken": csrf_token(client, "/review")}

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers)

    def post(self, path: str, **data: Any) -> Any:
        return self.client.post(path, data=data, headers=self.headers)


@pytest.fixture
def company(app: Flask) -> Any:
    return factories.make_company()


@pytest.fixture
def agent(company: Any) -> User:
    return _named(factories.make_user(Role.AGENT, company=company), "Alex Agent")


@pytest.fixture
def colleague(company: Any) -> User:
    return _named(factories.make_user(Role.AGENT, company=company), "Olga <b>Other</b>")


@pytest.fixture
def failed(company: Any) -> Appointment:
    """A failed appointment that never reached Cal.com (its pages ask Cal.com nothing)."""
    return _failed(company)


@pytest.fixture
def desk(client: FlaskClient, agent: User) -> Desk:
    return Desk(client, agent)


@pytest.fixture
def other_desk(app_config: dict[str, object], colleague: User) -> Any:
    """The colleague at another machine: an app instance of its own."""
    server = create_app(app_config)
    yield Desk(server.test_client(), colleague)
    with server.app_context():
        db.engine.dispose()


def _named(user: User, name: str) -> User:
    user.name = name
    db.session.commit()
    return user


def _failed(company: Any, **customer: Any) -> Appointment:
    service = factories.make_service(company)
    staff = factories.make_staff(company)
    person = factories.make_customer(company, **customer)
    return factories.make_appointment(person, service, staff, sync_status=SyncStatus.FAILED)


def _row(body: str, appointment: Appointment) -> str:
    start = body.index(f'<tbody id="appt-{appointment.id}"')
    return body[start : body.index("</tbody>", start)]


def _board_ids(desk: Desk, query: str) -> set[int]:
    body = desk.client.get(f"/review?{query}").get_data(as_text=True)
    return {int(ident) for ident in re.findall(r'<tbody id="appt-(\d+)"', body)}


# --- ownership -------------------------------------------------------------------------------------------------


def test_take_makes_the_agent_owner_names_them_on_the_row_and_audits_it(desk, failed, agent):
    board_row = _row(desk.client.get("/review").get_data(as_text=True), failed)
    assert "Unassigned" in board_row and ">Take</button>" in board_row

    response = desk.post(f"/review/{failed.id}/take", owner="")

    assert response.status_code == 200
    row = _row(response.get_data(as_text=True), failed)
    assert "Owner: Alex Agent" in row
    assert ">Take</button>" not in row  # nothing left to take
    fresh = records.fresh(failed.id)
    assert fresh.owner_id == agent.id and fresh.owner_since is not None
    assert fresh.version == failed.version  # not a change of the appointment: nobody's screen goes stale
    [audit] = records.audits(failed.id, "case_take")
    assert (audit.actor_id, audit.before, audit.after) == (agent.id, {"owner_id": None}, {"owner_id": agent.id})


def test_taking_a_case_someone_else_owns_is_refused_naming_them_until_the_take_over_is_confirmed(
    desk, other_desk, failed, agent, colleague
):
    assert other_desk.post(f"/review/{failed.id}/take", owner="").status_code == 200
    row = _row(desk.client.get("/review").get_data(as_text=True), failed)
    assert 'hx-confirm="Olga &lt;b&gt;Other&lt;/b&gt; owns this case. Take it over?"' in row
    assert """hx-vals='{"takeover": "1"}'""" in row

    refused = desk.post(f"/review/{failed.id}/take", owner=colleague.id)

    assert refused.status_code == 409
    assert "Olga &lt;b&gt;Other&lt;/b&gt; owns this case; confirm to take it over." in refused.get_data(as_text=True)
    assert records.fresh(failed.id).owner_id == colleague.id

    taken = desk.post(f"/review/{failed.id}/take", owner=colleague.id, takeover="1")

    assert taken.status_code == 200
    assert records.fresh(failed.id).owner_id == agent.id
    assert records.audits(failed.id, "case_take")[-1].note == "Taken over from Olga <b>Other</b>"


def test_two_agents_taking_the_same_unowned_case_at_once_one_wins_and_the_other_hears_who(
    desk, other_desk, failed, colleague
):
    """Both screens showed nobody as the owner; the second take meets the first one's owner in its UPDATE."""
    first = other_desk.post(f"/review/{failed.id}/take", owner="")
    second = desk.post(f"/review/{failed.id}/take", owner="")

    assert (first.status_code, second.status_code) == (200, 409)
    assert "Olga &lt;b&gt;Other&lt;/b&gt; owns this case now" in second.get_data(as_text=True)
    assert records.fresh(failed.id).owner_id == colleague.id
    assert len(records.audits(failed.id, "case_take")) == 1


def test_the_owner_check_is_part_of_the_update_so_a_take_committed_just_before_it_wins(app, failed, agent, colleague):
    """A colleague's take lands between the service's read and its UPDATE: only a conditional UPDATE notices."""
    fired: list[bool] = []

    def colleague_takes_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE appointment SET owner_id") and not fired:
            fired.append(True)
            with db.engine.connect() as other:
                other.execute(
                    text("UPDATE appointment SET owner_id = :owner WHERE id = :id"),
                    {"owner": colleague.id, "id": failed.id},
                )
                other.commit()

    event.listen(db.engine, "before_cursor_execute", colleague_takes_first)
    try:
        with pytest.raises(OwnerChanged):
            take(failed.id, agent, None, takeover=False, now=datetime.now(UTC))
    finally:
        event.remove(db.engine, "before_cursor_execute", colleague_takes_first)
    assert fired
    assert records.fresh(failed.id).owner_id == colleague.id


def test_assign_offers_the_company_s_agents_and_admins_only_and_gives_them_the_case(
    desk, failed, company, colleague, agent
):
    manager = _named(factories.make_user(Role.MANAGER, company=company), "Manni Manager")
    stranger = _named(factories.make_user(Role.AGENT, company=factories.make_company("Elsewhere")), "Stranger")
    page = desk.client.get(f"/review/{failed.id}").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"', page[page.index(f'id="appt-{failed.id}-case"') :])
    assert {int(value) for value in options} == {agent.id, colleague.id}

    refused = desk.post(f"/review/{failed.id}/assign", owner="", assignee=stranger.id)
    assert refused.status_code == 422
    assert records.fresh(failed.id).owner_id is None
    assert desk.post(f"/review/{failed.id}/assign", owner="", assignee=manager.id).status_code == 422

    response = desk.post(f"/review/{failed.id}/assign", owner="", assignee=colleague.id)

    assert response.status_code == 200
    assert "Owner: Olga &lt;b&gt;Other&lt;/b&gt;" in _row(response.get_data(as_text=True), failed)
    assert records.fresh(failed.id).owner_id == colleague.id
    [audit] = records.audits(failed.id, "case_assign")
    assert audit.actor_id == agent.id


def test_board_filters_mine_and_unassigned(desk, other_desk, company, agent):
    mine, theirs, nobodys = (_failed(company, name=name) for name in ("Mine", "Theirs", "Nobody"))
    assert desk.post(f"/review/{mine.id}/take", owner="").status_code == 200
    assert other_desk.post(f"/review/{theirs.id}/take", owner="").status_code == 200

    assert _board_ids(desk, "owner=mine") == {mine.id}
    assert _board_ids(desk, "owner=unassigned") == {nobodys.id}
    assert _board_ids(desk, "") == {mine.id, theirs.id, nobodys.id}
    assert desk.client.get("/review?owner=someone").status_code == 422


# --- the log ---------------------------------------------------------------------------------------------------


def test_contact_and_notes_are_logged_newest_first_and_an_incomplete_contact_is_a_422(desk, failed):
    assert desk.post(f"/review/{failed.id}/notes", text="Kundin will <i>nur</i> vormittags").status_code == 200
    response = desk.post(f"/review/{failed.id}/contacts", channel="phone", outcome="no_answer", text="Mailbox voll")

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.index("contacted the customer by Phone: No answer") < body.index("Kundin will &lt;i&gt;nur&lt;/i&gt;")
    assert "Mailbox voll" in body

    invalid = desk.post(f"/review/{failed.id}/contacts", channel="", outcome="reached")
    assert invalid.status_code == 422
    assert "Choose how you contacted the customer." in invalid.get_data(as_text=True)
    assert desk.post(f"/review/{failed.id}/contacts", channel="fax", outcome="reached").status_code == 422
    assert desk.post(f"/review/{failed.id}/notes", text="").status_code == 422
    assert db.session.query(CaseEntry).count() == 2

    page = desk.client.get(f"/review/{failed.id}").get_data(as_text=True)
    assert page.index("Mailbox voll") < page.index("Kundin will &lt;i&gt;nur&lt;/i&gt;")


# --- rights ----------------------------------------------------------------------------------------------------

WRITES = [
    ("take", {"owner": ""}),
    ("assign", {"owner": "", "assignee": "1"}),
    ("notes", {"text": "x"}),
    ("contacts", {"channel": "phone", "outcome": "reached"}),
    ("informed", {"answer": "phone_agreed"}),
]


@pytest.mark.parametrize(("verb", "data"), WRITES)
def test_a_manager_may_read_but_not_write_a_case(client, company, failed, verb, data):
    manager = Desk(client, factories.make_user(Role.MANAGER, company=company))
    assert manager.post(f"/review/{failed.id}/{verb}", **data).status_code == 403
    assert records.fresh(failed.id).owner_id is None and db.session.query(CaseEntry).count() == 0


@pytest.mark.parametrize(("verb", "data"), WRITES)
def test_an_agent_of_another_company_cannot_touch_the_case(client, failed, verb, data):
    stranger = factories.make_user(Role.AGENT, company=factories.make_company("Elsewhere"))
    assert Desk(client, stranger).post(f"/review/{failed.id}/{verb}", **data).status_code == 404
    assert records.fresh(failed.id).owner_id is None and db.session.query(CaseEntry).count() == 0


@pytest.mark.parametrize(("verb", "data"), WRITES)
def test_a_case_write_without_the_csrf_token_is_refused(desk, failed, verb, data):
    response = desk.client.post(f"/review/{failed.id}/{verb}", data=data, headers=HTMX_HEADERS)
    assert response.status_code == 400
    assert records.fresh(failed.id).owner_id is None and db.session.query(CaseEntry).count() == 0


# --- links -----------------------------------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return app_config | {"CALCOM_WEB_URL": "https://cal.salon.test/"}


def test_phone_is_a_tel_link_except_for_anonymous_callers_and_the_booking_links_to_cal_com_escaped(desk, company):
    called = _failed(company, name="Anruf", phone="+49 30 1234567")
    anonymous = _failed(company, name="Anonym", phone="anonymous_4915_ab12")
    called.calcom_booking_uid = 'uid"><script>alert(1)</script>'
    db.session.commit()

    board = desk.client.get("/review").get_data(as_text=True)

    assert '<a href="tel:+49301234567">+49 30 1234567</a>' in _row(board, called)
    assert "tel:" not in _row(board, anonymous)
    [link] = re.findall(r'<a href="([^"]*)" rel="noopener" target="_blank">', _row(board, called))
    assert html.unescape(link) == "https://cal.salon.test/booking/uid%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
    assert "<script>alert(1)</script>" not in board
    detail = desk.client.get(f"/review/{called.id}").get_data(as_text=True)
    assert 'href="tel:+49301234567"' in detail and "https://cal.salon.test/booking/uid%22" in detail


# --- was the customer informed? -----------------------------------------------------------------------------


@pytest.fixture
def salon(app: Flask, sim: Any) -> Salon:
    return make_synced_salon(sim.admin)


@pytest.mark.calcom_simulator(timeout=0.5)
def test_after_a_reschedule_the_row_asks_whether_the_customer_was_informed_and_one_click_logs_it(
    client, app_config, salon, sim
):
    booked = factories.make_appointment(
        factories.make_customer(salon.company), salon.service, salon.staff, slot_start(2)
    )
    untouched = factories.make_appointment(
        factories.make_customer(salon.company, name="Untouched"), salon.service, salon.staff, slot_start(3)
    )
    board = Desk(client, salon.agent)
    panel = board.get(f"/review/{booked.id}/reschedule").get_data(as_text=True)
    target = re.findall(r'name="start" value="([^"]+)"', panel)[1]
    now = datetime.now(UTC)
    assert not_informed_count(None, now) == 0

    moved = board.post(f"/review/{booked.id}/reschedule", version=booked.version, start=target)

    assert moved.status_code == 200
    row = _row(moved.get_data(as_text=True), booked)
    assert "Was the customer informed?" in row and "Yes, by phone — agreed" in row
    assert _board_ids(board, "not_informed=1") == {booked.id}
    assert not_informed_count([salon.company.id], now) == 1
    assert not_informed_count([salon.company.id + 1], now) == 0
    assert not_informed_count(None, now + timedelta(days=30)) == 0  # started by then: nothing left to tell
    assert untouched.id not in _board_ids(board, "not_informed=1")

    not_reached = board.post(f"/review/{booked.id}/informed", answer="not_reached")
    assert not_reached.status_code == 200
    assert not_informed_count(None, now) == 1  # a call nobody answered informs nobody

    answered = board.post(f"/review/{booked.id}/informed", answer="phone_agreed")

    assert answered.status_code == 200
    assert "Was the customer informed?" not in _row(answered.get_data(as_text=True), booked)
    outcomes = [entry.outcome for entry in db.session.query(CaseEntry).order_by(CaseEntry.id)]
    assert outcomes == [ContactOutcome.NO_ANSWER, ContactOutcome.AGREED]
    assert not_informed_count(None, now) == 0
    assert _board_ids(board, "not_informed=1") == set()
