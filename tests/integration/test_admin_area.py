"""The admin area: every action refused for agents and managers, and done and audited for admins."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ops_ui.extensions import db
from ops_ui.models import AuditEvent, Company, EventTypeMapping, Role, Service, Staff, User
from tests.support.auth import csrf_token, login
from tests.support.factories import PASSWORD, make_company, make_service, make_staff, make_user

PARAMETER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _admin_requests(app: Flask) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) of every admin route, its ids set to 1 and each kind of record listed."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        kinds = ["companies", "services", "staff"] if "any(" in rule.rule else [""]
        for kind in kinds:
            path = PARAMETER.sub(lambda m, kind=kind: kind if m.group(1) == "any" else "1", rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((method, path, rule.endpoint))
    return found


def _audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def admin_client(client: FlaskClient) -> FlaskClient:
    login(client, make_user(Role.ADMIN, email="boss@syncdesk.test"))
    return client


def _post(client: FlaskClient, path: str, **data: object):
    return client.post(path, data={"csrf_token": csrf_token(client, "/review"), **data})


@pytest.mark.parametrize("role", [Role.AGENT, Role.MANAGER])
def test_every_admin_action_is_refused_for_agents_and_managers(app: Flask, client: FlaskClient, role: Role) -> None:
    company = make_company()
    make_staff(company), make_service(company)
    login(client, make_user(role))
    token = csrf_token(client, "/review")
    requests = _admin_requests(client.application)
    assert len(requests) >= 15
    before = db.session.scalar(select(db.func.count(AuditEvent.id)))
    for method, path, endpoint in requests:
        response = client.open(path, method=method, data={"csrf_token": token, "name": "x", "role": "admin"})
        if role is Role.MANAGER and endpoint == "admin.audit_log":
            assert response.status_code == 200
        else:
            assert response.status_code == 403, (method, path)
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == before


def test_an_admin_adds_a_user_who_sets_a_password_through_the_one_time_link(admin_client: FlaskClient) -> None:
    page = _post(admin_client, "/admin/users", email="New.Agent@Salon.test", name="New Agent", role="agent")
    assert page.status_code == 200
    link = re.search(r"http://localhost(/reset-password/[\w-]+)", page.get_data(as_text=True)).group(1)
    user = db.session.scalars(select(User).where(User.email == "new.agent@salon.test")).one()
    assert user.role is Role.AGENT and user.reset_token_hash and user.reset_token_hash not in link
    assert [event.actor.email for event in _audit("user.created")] == ["boss@syncdesk.test"]

    owner = admin_client.application.test_client()
    form = owner.get(link)
    assert form.status_code == 200
    token = csrf_token(owner, link)
    assert owner.post(link, data={"csrf_token": token, "password": "short", "confirm": "short"}).status_code == 422
    done = owner.post(
        link, data={"csrf_token": token, "password": "a new long password", "confirm": "a new long password"}
    )
    assert done.status_code == 303
    assert owner.get(link).status_code == 404  # used up
    login(owner, user, password="a new long password")
    assert _audit("user.password_set")


def test_a_reset_link_replaces_the_password_and_ends_the_sessions(admin_client: FlaskClient) -> None:
    user = make_user(Role.AGENT)
    victim = admin_client.application.test_client()
    login(victim, user)
    assert _post(admin_client, f"/admin/users/{user.id}/reset-link").status_code == 200
    assert victim.get("/review").status_code == 302
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(victim)}
    assert victim.post("/login", data=data).status_code == 422  # the old password is gone
    assert _audit("user.password_reset_link")


def test_deactivating_changes_role_and_scope_are_audited_and_end_sessions(admin_client: FlaskClient) -> None:
    company = make_company("Salon Nord")
    user = make_user(Role.AGENT)
    other = admin_client.application.test_client()
    login(other, user)

    path = f"/admin/users/{user.id}"
    assert _post(admin_client, path, role="manager", company_id="", active="y").status_code == 303
    assert other.get("/review").status_code == 302
    assert _post(admin_client, path, role="manager", company_id=str(company.id), active="y").status_code == 303
    assert _post(admin_client, path, role="manager", company_id=str(company.id)).status_code == 303  # active unticked

    db.session.expire_all()
    changed = db.session.get(User, user.id)
    assert (changed.role, changed.company_id, changed.active) == (Role.MANAGER, company.id, False)
    assert [len(_audit(a)) for a in ("user.role_changed", "user.company_changed", "user.deactivated")] == [1, 1, 1]
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other)}
    assert other.post("/login", data=data).status_code == 422


def test_an_admin_cannot_lock_themselves_out(admin_client: FlaskClient) -> None:
    me = db.session.scalars(select(User).where(User.email == "boss@syncdesk.test")).one()
    response = _post(admin_client, f"/admin/users/{me.id}", role="agent", company_id="", active="y")
    assert response.status_code == 422
    assert "your own account" in response.get_data(as_text=True)


def test_companies_services_staff_and_event_types_are_managed_and_audited(admin_client: FlaskClient) -> None:
    made = _post(
        admin_client, "/admin/companies", name="Salon Süd", time_zone="Europe/Vienna", phone_number="+43 1 234567"
    )
    assert made.status_code == 303
    company = db.session.scalars(select(Company).where(Company.name == "Salon Süd")).one()
    assert (company.time_zone, company.phone_number) == ("Europe/Vienna", "+431234567")
    assert _post(admin_client, "/admin/companies", name="Bad", time_zone="Mars/Base").status_code == 422

    assert (
        _post(
            admin_client, "/admin/services", company_id=str(company.id), name="Schnitt", duration_minutes="45"
        ).status_code
        == 303
    )
    service = db.session.scalars(select(Service).where(Service.company_id == company.id)).one()
    assert _post(admin_client, "/admin/staff", company_id=str(company.id), name="Ida", active="y").status_code == 303
    staff = db.session.scalars(select(Staff).where(Staff.company_id == company.id)).one()

    mapped = _post(
        admin_client, f"/admin/staff/{staff.id}/event-types", service_id=str(service.id), calcom_event_type_id="4711"
    )
    assert mapped.status_code == 303
    mapping = db.session.scalars(select(EventTypeMapping).where(EventTypeMapping.staff_id == staff.id)).one()
    assert mapping.calcom_event_type_id == 4711
    assert _post(admin_client, f"/admin/staff/{staff.id}/event-types/{mapping.id}/remove").status_code == 303
    assert (
        _post(admin_client, f"/admin/companies/{company.id}", name="Salon Sued", time_zone="Europe/Vienna").status_code
        == 303
    )

    actions = [
        "company.created",
        "service.created",
        "staff.created",
        "mapping.saved",
        "mapping.removed",
        "company.updated",
    ]
    assert [len(_audit(action)) for action in actions] == [1] * len(actions)
    assert _audit("company.updated")[0].before["name"] == "Salon Süd"


def test_the_audit_log_filters_by_who_what_and_when(admin_client: FlaskClient) -> None:
    _post(admin_client, "/admin/companies", name="Salon A", time_zone="Europe/Berlin")
    me = db.session.scalars(select(User).where(User.email == "boss@syncdesk.test")).one()
    page = admin_client.get("/admin/audit", query_string={"actor": me.id, "action": "company.", "from": "2000-01-01"})
    assert page.status_code == 200 and "company.created" in page.get_data(as_text=True)
    empty = admin_client.get("/admin/audit", query_string={"action": "user."})
    assert "company.created" not in empty.get_data(as_text=True)
    assert admin_client.get("/admin/audit", query_string={"to": "9999-12-31"}).status_code == 422
    assert admin_client.get("/admin/audit", query_string={"action": "a\x00"}).status_code == 422


def test_the_audit_log_is_open_to_managers(client: FlaskClient) -> None:
    login(client, make_user(Role.MANAGER))
    assert client.get("/admin/audit").status_code == 200


def test_sign_ins_and_failed_sign_ins_are_listed_for_admins(admin_client: FlaskClient) -> None:
    stranger = admin_client.application.test_client()
    stranger.post(
        "/login", data={"email": "nobody@x.test", "password": "guess guess", "csrf_token": csrf_token(stranger)}
    )
    body = admin_client.get("/admin/logins").get_data(as_text=True)
    assert "nobody@x.test" in body and "wrong credentials" in body
    assert "boss@syncdesk.test" in body and "signed in" in body
    assert "guess guess" not in body
