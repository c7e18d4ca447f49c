"""``flask users create`` / ``flask users list``: thin commands over the account service."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from ops_ui.auth.service import find_user_by_email
from ops_ui.models import Role
from tests.support.auth import login
from tests.support.factories import make_company


def test_create_user_with_password_option_can_log_in(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "Ada@Salon.test",
            "--role",
            "agent",
            "--name",
            "Ada Agent",
            "--password",
            "long-enough-1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created agent ada@salon.test" in result.output
    user = find_user_by_email("ada@salon.test")
    assert user is not None
    assert user.role is Role.AGENT
    assert user.name == "Ada Agent"
    assert user.password_hash != "long-enough-1"
    assert check_password_hash(user.password_hash, "long-enough-1")
    login(client, user, password="long-enough-1")


def test_create_user_prompts_for_a_hidden_confirmed_password(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "mia@salon.test", "--role", "manager"], input="prompted-pass\nprompted-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert "prompted-pass" not in result.output
    user = find_user_by_email("mia@salon.test")
    assert user is not None
    assert user.name == "mia"
    assert check_password_hash(user.password_hash, "prompted-pass")


def test_create_user_with_company_scope(app: Flask) -> None:
    company = make_company()
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "s@salon.test",
            "--role",
            "agent",
            "--password",
            "0123456789",
            "--company-id",
            str(company.id),
        ]
    )
    assert result.exit_code == 0, result.output
    assert f"company {company.id}" in result.output
    unknown = app.test_cli_runner().invoke(
        args=["users", "create", "t@salon.test", "--role", "agent", "--password", "0123456789", "--company-id", "999"]
    )
    assert unknown.exit_code == 1
    assert "There is no company with id 999" in unknown.output


def test_duplicate_email_is_refused_whatever_its_case(app: Flask) -> None:
    runner = app.test_cli_runner()
    args = ["users", "create", "dup@salon.test", "--role", "admin", "--password", "long-enough-1"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=["users", "create", "DUP@salon.test", "--role", "agent", "--password", "other-pass-1"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert "Traceback" not in result.output


def test_short_password_is_refused(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "short@salon.test", "--role", "agent", "--password", "123456789"]
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert find_user_by_email("short@salon.test") is None


def test_bad_email_and_unknown_role_are_refused(app: Flask) -> None:
    runner = app.test_cli_runner()
    bad_email = runner.invoke(args=["users", "create", "not-an-email", "--role", "agent", "--password", "0123456789"])
    assert bad_email.exit_code == 1
    assert "Not a usable e-mail address" in bad_email.output
    bad_role = runner.invoke(args=["users", "create", "x@salon.test", "--role", "owner", "--password", "0123456789"])
    assert bad_role.exit_code == 2


def test_list_users(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert "No users yet" in runner.invoke(args=["users", "list"]).output
    runner.invoke(args=["users", "create", "b@salon.test", "--role", "manager", "--password", "0123456789"])
    runner.invoke(args=["users", "create", "a@salon.test", "--role", "admin", "--password", "0123456789"])
    output = runner.invoke(args=["users", "list"]).output
    assert output.index("a@salon.test") < output.index("b@salon.test")
    assert "manager" in output
    assert "all companies" in output
