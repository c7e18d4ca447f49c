"""The team's desk in German, in Chromium on the demo salon as `make run` serves it: an agent takes a host conflict,
moves it to a colleague's free time, records that the customer agreed by phone; the manager then sees the action and
the time it took to resolve on the dashboard."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import Appointment, CaseEntry, ContactChannel, ContactOutcome, SyncStatus, User
from tests.e2e.pages.login import sign_in
from tests.e2e.pages.review import ReviewBoard

TAKE = "Übernehmen"
OWNER_AGENT = "Zuständig: Ayla Agent"
WAS_INFORMED = "Wurde der Kunde informiert?"
AGREED_BY_PHONE = "Ja, telefonisch – einverstanden"
TEAM_HEADING = "Die Arbeit des Teams"
GERMAN_DURATION = re.compile(r"^\d+ (Min\.|Std\.)|^\d+ Std\. \d+ Min\.$|^\d+ Tag")


def _fresh(appointment_id: int) -> Appointment:
    return db.session.get(Appointment, appointment_id, populate_existing=True)


def _live_bookings_of(sim, appointment_id: int) -> list[dict]:
    return [
        booking
        for booking in sim.admin.bookings()
        if booking["status"] != "cancelled"
        and str((booking.get("metadata") or {}).get("syncDeskAppointmentId")) == str(appointment_id)
    ]


def test_agent_takes_a_case_moves_it_to_a_colleague_and_logs_the_call_and_the_manager_sees_it(
    page: Page, live_server, german_demo_salon, sim
):
    sign_in(page, live_server, "agent")
    agent = db.session.scalars(select(User).where(User.name == "Ayla Agent")).one()
    page.goto(f"{live_server}/review?category=HOST_CONFLICT")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Prüfliste")).to_be_visible()
    board = ReviewBoard(page, live_server)
    row = board.rows("Erika Müller")
    appointment_id = int(row.get_attribute("id").removeprefix("appt-"))
    before = _fresh(appointment_id)
    expect(row.get_by_text("Terminkonflikt", exact=True)).to_be_visible()
    expect(row.locator("time").first).to_contain_text(re.compile(r"^(Mo|Di|Mi|Do|Fr|Sa|So)\., \d+\. "))

    row.get_by_role("button", name=TAKE, exact=True).click()
    expect(row.locator(".case-owner")).to_contain_text(OWNER_AGENT)

    board.act(row, "Verschieben")
    offers = row.locator("fieldset.next-free form:has(input[name=staff_id]) button")
    expect(offers.first).to_be_visible()
    offer = offers.filter(has_not_text=before.staff.name).first  # not the same person's second staff record
    colleague = re.search(r" bei (.+?) \(weist neu zu\)", offer.inner_text()).group(1)
    offer.click()

    question = row.get_by_role("group", name=WAS_INFORMED)
    expect(question).to_be_visible()
    question.get_by_role("button", name=AGREED_BY_PHONE, exact=True).click()
    expect(row.get_by_role("group", name=WAS_INFORMED)).to_have_count(0)

    after = _fresh(appointment_id)
    assert after.owner_id == agent.id
    assert after.staff.name == colleague and after.sync_status is SyncStatus.SYNCED
    live = _live_bookings_of(sim, appointment_id)
    assert [booking["uid"] for booking in live] == [after.calcom_booking_uid]
    contact = db.session.scalars(select(CaseEntry).where(CaseEntry.appointment_id == appointment_id)).one()
    assert (contact.channel, contact.outcome, contact.author_id) == (
        ContactChannel.PHONE,
        ContactOutcome.AGREED,
        agent.id,
    )

    manager_page = page.context.browser.new_context().new_page()
    sign_in(manager_page, live_server, "manager")
    manager_page.goto(f"{live_server}/health")
    team = manager_page.locator(f'tr[data-user="{agent.id}"]')
    expect(team.get_by_role("rowheader")).to_have_text("Ayla Agent")
    expect(manager_page.get_by_role("heading", name=TEAM_HEADING)).to_be_visible()
    assert int(team.locator('[data-figure="actions_day"]').inner_text()) >= 2  # the take and the move
    assert team.locator('[data-figure="resolved_day"]').inner_text() == "1"
    assert GERMAN_DURATION.search(team.locator('[data-figure="median_to_resolve"]').inner_text().strip())
    manager_page.context.close()
