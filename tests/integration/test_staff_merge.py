"""Staff records that are the same person: listed for admins, merged into the record kept (appointments and event
types move, the others go inactive, every moved appointment audited), never underneath a writer, never across
companies, and a second merge finds nothing to do."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ops_ui.actions import staff_merge
from ops_ui.actions.staff_merge import MergeBusy, merge_staff
from ops_ui.engine.claims import NotAllowed
from ops_ui.extensions import db
from ops_ui.models import AuditEvent, Company, EventTypeMapping, Role, Service, Staff
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.factories import (
    make_appointment,
    make_company,
    make_customer,
    make_service,
    make_staff,
    make_user,
    map_event_type,
)
from tests.support.records import fresh, state_of


@pytest.fixture
def company(app: Flask) -> Company:
    return make_company()


@pytest.fixture
def perm(company: Company) -> Service:
    return make_service(company, "Dauerwelle", 135)


def _pair(company: Company) -> tuple[Staff, Staff]:
    """The demo's Fabian Spitzer twice: same person, two records, two Cal.com users, two e-mail addresses."""
    return make_staff(company, "Fabian Spitzer", calcom_user_id=101), make_staff(company, " fabian   SPITZER", 202)


def _fresh_staff(staff_id: int) -> Staff:
    staff = db.session.get(Staff, staff_id, populate_existing=True)
    assert staff is not None
    return staff


def _mappings(staff_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(EventTypeMapping.service_id, EventTypeMapping.calcom_event_type_id).where(
            EventTypeMapping.staff_id == staff_id
        )
    ).all()
    return {service_id: event_type_id for service_id, event_type_id in rows}


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
            .execution_options(populate_existing=True)
        )
    )


def _merge(client: FlaskClient, keep: Staff, *group: Staff, htmx: bool = True) -> tuple[int, str]:
    data: dict[str, object] = {"csrf_token": csrf_token(client, "/review"), "keep": keep.id}
    data |= {f"merge-{index}": staff.id for index, staff in enumerate(group)}
    response = client.post("/staff/merge", data=data, headers=HTMX_HEADERS if htmx else {})
    return response.status_code, response.get_data(as_text=True)


def _admin(client: FlaskClient, company: Company | None) -> FlaskClient:
    login(client, make_user(Role.ADMIN, company=company))
    return client


def test_demo_like_pair_of_one_person_is_listed_for_an_admin_and_a_single_record_is_not(client, company):
    fabian, fabian_again = _pair(company)
    mia = make_staff(company, "Mia Wagner")
    _admin(client, company)

    response = client.get("/staff/duplicates")
    body = response.get_data(as_text=True)

    assert response.status_code == 200
    assert f'id="staff-{fabian.id}"' in body and f'id="staff-{fabian_again.id}"' in body
    assert f'id="staff-{mia.id}"' not in body
    assert "same name" in body
    assert "different Cal.com users" in body


def test_same_email_or_calcom_user_makes_the_same_person_and_groups_are_transitive(client, company):
    first = make_staff(company, "F. Spitzer", calcom_user_id=7)
    second = make_staff(company, "Fabian Spitzer", calcom_user_id=7)
    third = make_staff(company, "Fabi")
    third.email = second.email.upper() if second.email else None
    db.session.commit()
    _admin(client, company)

    body = client.get("/staff/duplicates").get_data(as_text=True)
    section = re.search(rf'<section id="staff-group-{first.id}".*?</section>', body, re.S)

    assert section, body
    for staff in (first, second, third):
        assert f'id="staff-{staff.id}"' in section.group(0)
    assert "same e-mail, same Cal.com user" in section.group(0)


@dataclass
class Merged:
    fabian: Staff
    fabian_again: Staff
    perm: Service
    cut: Service
    versions: dict[int, int]
    """The moved appointments' versions before the merge."""
    own_before: dict[str, Any]
    own_id: int
    status: int
    body: str


@pytest.fixture
def merged(client: FlaskClient, company: Company, perm: Service) -> Merged:
    """An admin merged the second Fabian (two appointments; event types for "Dauerwelle", which the kept one has
    too, and "Herrenhaarschnitt") into the first."""
    fabian, fabian_again = _pair(company)
    cut = make_service(company, "Herrenhaarschnitt", 30)
    map_event_type(perm, fabian, 11)
    map_event_type(perm, fabian_again, 22)
    map_event_type(cut, fabian_again, 33)
    customer = make_customer(company)
    own = make_appointment(customer, perm, fabian)
    moved = [make_appointment(customer, perm, fabian_again), make_appointment(customer, cut, fabian_again)]
    versions = {appointment.id: appointment.version for appointment in moved}
    own_before = state_of(own.id)
    _admin(client, company)
    status, body = _merge(client, fabian, fabian, fabian_again)
    return Merged(fabian, fabian_again, perm, cut, versions, own_before, own.id, status, body)


def test_merge_moves_appointments_and_mappings_and_deactivates_the_other(merged):
    assert merged.status == 200
    assert "Merged" in merged.body and 'role="status"' in merged.body
    assert f'id="staff-{merged.fabian_again.id}"' not in merged.body
    for appointment_id, version in merged.versions.items():
        row = fresh(appointment_id)
        assert (row.staff_id, row.version) == (merged.fabian.id, version + 1)
    assert state_of(merged.own_id) == merged.own_before
    assert _mappings(merged.fabian.id) == {merged.perm.id: 11, merged.cut.id: 33}
    assert _mappings(merged.fabian_again.id) == {}
    assert _fresh_staff(merged.fabian_again.id).active is False
    assert _fresh_staff(merged.fabian.id).active is True


def test_merge_audits_each_moved_appointment_and_the_merge_naming_the_admin(merged):
    per_appointment = _events("staff_merged")
    assert sorted(event.appointment_id for event in per_appointment) == sorted(merged.versions)
    admin_id = per_appointment[0].actor_id
    assert admin_id is not None
    for event in per_appointment:
        assert event.actor_id == admin_id
        assert (event.before, event.after) == ({"staff_id": merged.fabian_again.id}, {"staff_id": merged.fabian.id})
    (summary,) = _events("staff_merge")
    assert (summary.actor_id, summary.appointment_id) == (admin_id, None)
    assert summary.after is not None
    assert summary.after["dropped_mappings"] == [
        {"staff_id": merged.fabian_again.id, "service_id": merged.perm.id, "event_type_id": 22}
    ]


def test_a_second_merge_finds_nothing_to_merge_and_changes_nothing(client, merged):
    status, body = _merge(client, merged.fabian, merged.fabian, merged.fabian_again)

    assert status == 200
    assert "Nothing to merge" in body
    assert len(_events("staff_merged")) == 2
    assert len(_events("staff_merge")) == 1


def test_merge_without_javascript_redirects_back_to_the_list(client, company, perm):
    fabian, fabian_again = _pair(company)
    _admin(client, company)

    response = client.post(
        "/staff/merge",
        data={"csrf_token": csrf_token(client, "/review"), "keep": fabian.id, "merge-0": fabian_again.id},
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/duplicates")
    assert _fresh_staff(fabian_again.id).active is False


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_agents_and_managers_get_403_and_change_nothing(client, company, perm, role):
    fabian, fabian_again = _pair(company)
    appointment = make_appointment(make_customer(company), perm, fabian_again)
    before = state_of(appointment.id)
    login(client, make_user(role, company=company))

    assert client.get("/staff/duplicates").status_code == 403
    status, _ = _merge(client, fabian, fabian, fabian_again)

    assert status == 403
    assert state_of(appointment.id) == before
    assert _fresh_staff(fabian_again.id).active is True
    assert "Staff duplicates" not in client.get("/review").get_data(as_text=True)


def test_a_claimed_appointment_refuses_the_whole_merge_and_nothing_moves(client, company, perm):
    fabian, fabian_again = _pair(company)
    map_event_type(perm, fabian_again, 22)
    customer = make_customer(company)
    free = make_appointment(customer, perm, fabian_again)
    held = make_appointment(
        customer,
        perm,
        fabian_again,
        claim_token="a" * 32,
        claimed_by="Olga Other",
        claim_expires_at=datetime.now(UTC) + timedelta(minutes=1),
    )
    before = {appointment.id: state_of(appointment.id) for appointment in (free, held)}
    _admin(client, company)

    status, body = _merge(client, fabian, fabian, fabian_again)

    assert status == 409
    assert f"#{held.id} by Olga Other" in body and "Nothing was merged" in body
    assert {ident: state_of(ident) for ident in before} == before
    assert _mappings(fabian_again.id) == {perm.id: 22}
    assert _fresh_staff(fabian_again.id).active is True
    assert _events("staff_merged") == [] and _events("staff_merge") == []


def test_a_claim_taken_after_the_check_still_refuses_the_whole_merge(company, perm, monkeypatch):
    """The move itself is fenced (``… AND no live claim``): a writer that claims between the check and the move
    wins, and the merge changes nothing."""
    fabian, fabian_again = _pair(company)
    customer = make_customer(company)
    free = make_appointment(customer, perm, fabian_again)
    held = make_appointment(
        customer,
        perm,
        fabian_again,
        claim_token="c" * 32,
        claimed_by="the sync engine",
        claim_expires_at=datetime.now(UTC) + timedelta(minutes=1),
    )
    before = {appointment.id: state_of(appointment.id) for appointment in (free, held)}
    monkeypatch.setattr(staff_merge, "_check_unclaimed", lambda others, now: None)

    with pytest.raises(MergeBusy):
        merge_staff(make_user(Role.ADMIN, company=company), fabian.id, [fabian_again.id])

    assert {ident: state_of(ident) for ident in before} == before
    assert _fresh_staff(fabian_again.id).active is True


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_the_merge_service_itself_refuses_anyone_but_an_admin(company, role):
    fabian, fabian_again = _pair(company)

    with pytest.raises(NotAllowed):
        merge_staff(make_user(role, company=company), fabian.id, [fabian_again.id])

    assert _fresh_staff(fabian_again.id).active is True


def test_an_expired_claim_left_by_a_dead_process_does_not_block_the_merge(client, company, perm):
    fabian, fabian_again = _pair(company)
    left = make_appointment(
        make_customer(company),
        perm,
        fabian_again,
        claim_token="b" * 32,
        claimed_by="the sync engine",
        claim_expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    _admin(client, company)

    status, _ = _merge(client, fabian, fabian, fabian_again)

    assert status == 200
    assert fresh(left.id).staff_id == fabian.id


def test_records_that_are_not_the_same_person_are_refused(client, company, perm):
    fabian = make_staff(company, "Fabian Spitzer")
    mia = make_staff(company, "Mia Wagner")
    appointment = make_appointment(make_customer(company), perm, mia)
    _admin(client, company)

    status, body = _merge(client, fabian, fabian, mia)

    assert status == 422
    assert "not the same person" in body
    assert fresh(appointment.id).staff_id == mia.id
    assert _fresh_staff(mia.id).active is True


def test_another_companys_staff_is_never_listed_and_merging_it_answers_404(client, company, perm):
    other = make_company("Other Salon")
    theirs, theirs_again = _pair(other)
    appointment = make_appointment(make_customer(other), make_service(other), theirs_again)
    mine = make_staff(company, "Fabian Spitzer")
    _admin(client, company)

    body = client.get("/staff/duplicates").get_data(as_text=True)
    assert f'id="staff-{theirs.id}"' not in body and f'id="staff-{theirs_again.id}"' not in body

    assert _merge(client, theirs, theirs, theirs_again)[0] == 404
    assert _merge(client, mine, mine, theirs_again)[0] == 404
    assert fresh(appointment.id).staff_id == theirs_again.id
    assert _fresh_staff(theirs_again.id).active is True


def test_an_admin_of_all_companies_never_merges_across_companies(client, company):
    other = make_company("Other Salon")
    mine, theirs = make_staff(company, "Fabian Spitzer"), make_staff(other, "Fabian Spitzer")
    _admin(client, None)

    body = client.get("/staff/duplicates").get_data(as_text=True)

    assert f'id="staff-{mine.id}"' not in body
    assert _merge(client, mine, mine, theirs)[0] == 404
    assert _fresh_staff(theirs.id).active is True


def test_admins_see_the_nav_link(client, company):
    _admin(client, company)
    assert "Staff duplicates" in client.get("/review").get_data(as_text=True)
