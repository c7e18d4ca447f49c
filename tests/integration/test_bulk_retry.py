"""Bulk retry through the views, against the Cal.com simulator: "Retry selected" and "Retry all in view" start a
run, the jobs retry each appointment (the queue is drained in the test, in place of a worker), and the run's page
shows the progress (200 while it goes on, 286 once it is finished). Managers are refused, CSRF stays on."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ops_ui import create_app
from ops_ui.calcom.client import CalcomClient
from ops_ui.categories import ErrorCategory
from ops_ui.engine.booking import sync_appointment
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.jobs.queue import huey, queue_length
from ops_ui.models import Appointment, BulkRun, BulkRunState, Role, Staff, SyncStatus, User
from ops_ui.review.queries import PAGE_SIZE
from tests.support import factories, records
from tests.support.auth import HTMX_HEADERS, csrf_token, login
from tests.support.salon import Salon, active_bookings, book_directly, make_synced_salon, slot_start

pytestmark = pytest.mark.calcom_simulator(timeout=0.5)

SLOT_TIMES = [time(6, 0), time(8, 15), time(10, 30), time(12, 45), time(15, 0), time(17, 15)]
"""The simulator's slot grid for the salon's 135-minute service (see tests/support/salon.py)."""


@pytest.fixture
def salon(app, sim) -> Salon:
    return make_synced_salon(sim.admin)


@pytest.fixture
def second_browser(app_config: dict[str, object]) -> Iterator[FlaskClient]:
    """Another person's browser, on an app instance of its own like ``client``."""
    server = create_app(app_config)
    yield server.test_client()
    with server.app_context():
        db.engine.dispose()


# --- helpers -----------------------------------------------------------------------------------------------------


def _free_starts(salon: Salon) -> Any:
    """(host, start) on the slot grid, never the same twice: both hosts, every slot, day after day from the day
    after tomorrow."""
    days = 2
    while True:
        for local in SLOT_TIMES:
            for host in (salon.staff, salon.colleague):
                yield host, slot_start(days, local)
        days += 1


def _technical_failure(
    salon: Salon, host: Staff, start: datetime, category: ErrorCategory = ErrorCategory.TIMEOUT
) -> Appointment:
    """A technical failure whose automatic retry is an hour away (so only a person's retry sends it now); made
    locally, without asking Cal.com, which therefore holds no booking of it."""
    now = datetime.now(UTC)
    return factories.make_appointment(
        factories.make_customer(salon.company),
        salon.service,
        host,
        start,
        sync_status=SyncStatus.FAILED,
        last_error_category=category,
        last_error_message=f"{category.label}: Cal.com did not answer in time",
        attempt_count=1,
        last_attempt_at=now - timedelta(minutes=5),
        failed_since=now - timedelta(minutes=5),
        next_retry_at=now + timedelta(hours=1),
    )


def _failures(salon: Salon, count: int) -> list[Appointment]:
    starts = _free_starts(salon)
    return [_technical_failure(salon, *next(starts)) for _ in range(count)]


def _conflicted(salon: Salon, sim: Any, start: datetime) -> tuple[Appointment, str]:
    """A host conflict as in the field (the host's time was taken in Cal.com, so the sync failed), unchanged since;
    returns it and the uid of the booking in the way."""
    uid = book_directly(sim, salon.event_type_id, start, name="Walk-in")
    appointment = factories.make_appointment(factories.make_customer(salon.company), salon.service, salon.staff, start)
    assert not sync_appointment(appointment).synced
    return records.fresh(appointment.id), uid


def _drain(limit: int | None = None) -> int:
    """Run queued jobs in this process, as a worker would (the test's app context is the job's); returns how many."""
    ran = 0
    while (limit is None or ran < limit) and (task := huey.dequeue()) is not None:
        huey.execute(task)
        ran += 1
    return ran


class Agent:
    """A signed-in browser session: posts carry the CSRF token of a rendered page, as the bulk bar's form does."""

    def __init__(self, client: FlaskClient, user: User) -> None:
        self.client = client
        login(client, user)
        self.token = csrf_token(client, "/review")

    def retry(self, query: str = "", htmx: bool = False, **data: Any) -> TestResponse:
        headers = {**HTMX_HEADERS, "X-CSRFToken": self.token} if htmx else {}
        return self.client.post(
            f"/review/bulk-retry{'?' + query if query else ''}",
            data={"csrf_token": self.token, **data},
            headers=headers,
        )

    def cancel(self, run_id: int, htmx: bool = False) -> TestResponse:
        headers = {**HTMX_HEADERS, "X-CSRFToken": self.token} if htmx else {}
        return self.client.post(f"/review/bulk/{run_id}/cancel", data={"csrf_token": self.token}, headers=headers)

    def progress(self, run_id: int) -> TestResponse:
        return self.client.get(f"/review/bulk/{run_id}", headers=HTMX_HEADERS)


def _run_of(response: TestResponse) -> BulkRun:
    """The run a start answered with (303 to its page, or HX-Redirect there)."""
    target = response.headers.get("HX-Redirect") or response.headers["Location"]
    match = re.fullmatch(r"(?:http://localhost)?/review/bulk/(\d+)", target)
    assert match, target
    run = db.session.get(BulkRun, int(match.group(1)), populate_existing=True)
    assert run is not None
    return run


def _run_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BulkRun))


def _ids(body: str) -> list[int]:
    return [int(ident) for ident in re.findall(r'<tbody id="appt-(\d+)"', body)]


def _number(body: str, name: str) -> str:
    match = re.search(rf'data-bulk="{name}">([^<]*)<', body)
    assert match, body
    return match.group(1)


# --- tests -------------------------------------------------------------------------------------------------------


def test_retry_all_in_view_covers_the_whole_filter_beyond_the_first_page_and_books_each_once(client, salon, sim):
    in_view = _failures(salon, PAGE_SIZE + 3)
    starts = _free_starts(salon)
    for _ in range(len(in_view)):
        next(starts)
    other_category = _technical_failure(salon, *next(starts), category=ErrorCategory.SERVER_ERROR)
    agent = Agent(client, salon.agent)
    query = "category=TIMEOUT"

    board = client.get(f"/review?{query}").get_data(as_text=True)
    assert len(_ids(board)) == PAGE_SIZE  # one page is loaded …
    assert re.search(rf"Select all <strong data-bulk-in-view>{len(in_view)}</strong> in this view", board)  # … N is all

    response = agent.retry(query, all="1")

    assert response.status_code == 303
    run = _run_of(response)
    assert run.total == len(in_view)
    _drain()
    assert queue_length() == 0
    rows = [records.fresh(appointment.id) for appointment in in_view]
    assert {row.sync_status for row in rows} == {SyncStatus.SYNCED}
    bookings = active_bookings(sim)
    assert Counter(booking["metadata"].get(METADATA_KEY) for booking in bookings) == {str(row.id): 1 for row in rows}
    assert sorted(booking["uid"] for booking in bookings) == sorted(row.calcom_booking_uid for row in rows)
    assert records.fresh(other_category.id).sync_status is SyncStatus.FAILED  # outside the filter: left alone
    assert records.fresh(other_category.id).attempt_count == 1
    assert db.session.get(BulkRun, run.id, populate_existing=True).state is BulkRunState.DONE


def test_retry_selected_retries_only_the_ticked_rows(client, salon, sim):
    first, middle, last = _failures(salon, 3)
    agent = Agent(client, salon.agent)

    response = agent.retry(ids=[str(first.id), str(last.id), str(first.id)])

    assert response.status_code == 303
    run = _run_of(response)
    assert run.total == 2
    _drain()
    assert records.fresh(first.id).sync_status is SyncStatus.SYNCED
    assert records.fresh(last.id).sync_status is SyncStatus.SYNCED
    untouched = records.fresh(middle.id)
    assert (untouched.sync_status, untouched.attempt_count) == (SyncStatus.FAILED, 1)
    assert len(active_bookings(sim)) == 2


def test_htmx_start_redirects_the_browser_to_the_runs_own_page(client, salon):
    [appointment] = _failures(salon, 1)

    response = Agent(client, salon.agent).retry(htmx=True, ids=[str(appointment.id)])

    assert response.status_code == 200
    run = _run_of(response)
    page = client.get(f"/review/bulk/{run.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert f"<h1>Bulk retry #{run.id}</h1>" in body
    assert 'role="progressbar"' in body
    assert "HX-Request" in page.headers.get("Vary", "")


def test_nothing_selected_is_refused_with_422_and_a_reason_and_starts_nothing(client, salon):
    _failures(salon, 1)
    agent = Agent(client, salon.agent)

    plain = agent.retry()
    fragment = agent.retry(htmx=True, include_unchanged="1")
    nothing_in_view = agent.retry("q=nobody-is-called-like-this", all="1")
    damaged = agent.retry(ids=["1", "x"])

    assert plain.status_code == 422
    assert "Nothing selected" in plain.get_data(as_text=True)
    assert fragment.status_code == 422
    body = fragment.get_data(as_text=True)
    assert body.startswith('<form id="bulk-retry"')  # the bar again, swapped in place, its option still ticked
    assert re.search(r'<p class="form-error" role="alert">Nothing selected', body)
    assert re.search(r'name="include_unchanged" value="1" checked', body)
    assert nothing_in_view.status_code == 422
    assert "Nothing in this view" in nothing_in_view.get_data(as_text=True)
    assert damaged.status_code == 422
    assert "not an appointment number" in damaged.get_data(as_text=True)
    assert _run_count() == 0


def test_csrf_is_enforced_on_start_and_cancel(client, salon):
    [appointment] = _failures(salon, 1)
    agent = Agent(client, salon.agent)

    start = client.post("/review/bulk-retry", data={"ids": [str(appointment.id)]})
    assert start.status_code == 400
    assert _run_count() == 0

    run = _run_of(agent.retry(ids=[str(appointment.id)]))
    cancel = client.post(f"/review/bulk/{run.id}/cancel")
    assert cancel.status_code == 400
    assert db.session.get(BulkRun, run.id, populate_existing=True).state is BulkRunState.RUNNING


def test_managers_see_no_bulk_controls_and_are_refused_403_on_start_and_cancel(client, second_browser, salon):
    [appointment] = _failures(salon, 1)
    run = _run_of(Agent(second_browser, salon.agent).retry(ids=[str(appointment.id)]))
    manager = Agent(client, factories.make_user(Role.MANAGER, company=salon.company))

    board = client.get("/review").get_data(as_text=True)
    assert _ids(board) == [appointment.id]
    assert 'id="bulk-retry"' not in board
    assert 'name="ids"' not in board
    assert manager.retry(ids=[str(appointment.id)]).status_code == 403
    assert manager.retry(all="1").status_code == 403
    assert manager.cancel(run.id).status_code == 403
    assert manager.cancel(run.id, htmx=True).status_code == 403
    assert manager.retry().status_code == 403  # refused before the selection is even looked at
    assert _run_count() == 1
    watching = client.get(f"/review/bulk/{run.id}").get_data(as_text=True)  # managers may watch …
    assert 'role="progressbar"' in watching
    assert "Cancel the bulk retry" not in watching  # … not stop it

    _drain()
    assert manager.cancel(run.id).status_code == 403  # a finished run too, where there is nothing to stop
    assert db.session.get(BulkRun, run.id, populate_existing=True).state is BulkRunState.DONE  # not cancelled


def test_another_companys_run_answers_404_and_their_appointments_are_not_retried(client, second_browser, salon):
    [appointment] = _failures(salon, 1)
    run = _run_of(Agent(second_browser, salon.agent).retry(ids=[str(appointment.id)]))
    stranger = Agent(client, factories.make_user(Role.AGENT, company=factories.make_company("Other salon")))

    assert client.get(f"/review/bulk/{run.id}").status_code == 404
    assert stranger.progress(run.id).status_code == 404
    assert stranger.cancel(run.id).status_code == 404
    assert db.session.get(BulkRun, run.id, populate_existing=True).state is BulkRunState.RUNNING
    assert stranger.retry(ids=[str(appointment.id)]).status_code == 303
    assert records.fresh(appointment.id).sync_status is SyncStatus.FAILED
    assert db.session.scalar(select(BulkRun.total).order_by(BulkRun.id.desc()).limit(1)) == 0  # not theirs to retry


def test_unchanged_business_failures_are_skipped_by_default_and_retried_when_included(client, salon, sim):
    conflicted, walk_in = _conflicted(salon, sim, slot_start(2))
    attempts = conflicted.attempt_count
    CalcomClient(sim.base_url, sim.api_key).cancel_booking(walk_in, "Walk-in left")  # the host is free again
    agent = Agent(client, salon.agent)

    skipping = _run_of(agent.retry(ids=[str(conflicted.id)]))
    _drain()
    body = agent.progress(skipping.id).get_data(as_text=True)
    assert (_number(body, "skipped"), _number(body, "synced")) == ("1", "0")
    assert records.fresh(conflicted.id).attempt_count == attempts  # not sent to Cal.com at all
    assert records.fresh(conflicted.id).sync_status is SyncStatus.FAILED

    including = _run_of(agent.retry(ids=[str(conflicted.id)], include_unchanged="1"))
    assert including.include_unchanged
    _drain()
    body = agent.progress(including.id).get_data(as_text=True)
    assert (_number(body, "skipped"), _number(body, "synced")) == ("0", "1")
    assert records.fresh(conflicted.id).sync_status is SyncStatus.SYNCED


def test_progress_polls_with_200_while_running_and_answers_286_with_counts_by_category_when_done(client, salon, sim):
    technical, succeeding = _failures(salon, 2)
    conflicted, _ = _conflicted(salon, sim, slot_start(9))  # starts last: its job runs last
    agent = Agent(client, salon.agent)
    run = _run_of(agent.retry(ids=[str(technical.id), str(succeeding.id), str(conflicted.id)], include_unchanged="1"))
    url = f"/review/bulk/{run.id}"

    waiting = agent.progress(run.id)
    assert waiting.status_code == 200
    body = waiting.get_data(as_text=True)
    assert f'hx-get="{url}" hx-trigger="every 1s" hx-swap="outerHTML"' in body
    assert 'aria-valuenow="0"' in body and 'aria-valuemin="0"' in body and 'aria-valuemax="100"' in body
    assert _number(body, "done") == "0 / 3"
    assert "HX-Request" in waiting.headers.get("Vary", "")

    sim.admin.set_faults(method="POST", pathPrefix="/v2/bookings", status=500, count=1)
    assert _drain(limit=1) == 1
    running = agent.progress(run.id)
    assert running.status_code == 200
    body = running.get_data(as_text=True)
    assert _number(body, "done") == "1 / 3"
    assert 'aria-valuenow="33"' in body
    assert re.search(r'data-bulk-category="Server error">Server error: 1<', body)

    _drain()
    done = agent.progress(run.id)
    assert done.status_code == 286
    body = done.get_data(as_text=True)
    assert "hx-trigger" not in body  # the summary no longer polls
    assert 'aria-valuenow="100"' in body
    assert (_number(body, "done"), _number(body, "synced"), _number(body, "failed")) == ("3 / 3", "1", "2")
    assert re.search(r'data-bulk-category="Host conflict">Host conflict: 1<', body)
    assert re.search(r'data-bulk-category="Server error">Server error: 1<', body)
    assert 'href="/review?sync_status=failed&amp;category=HOST_CONFLICT"' in body
    assert 'href="/review?sync_status=failed&amp;category=SERVER_ERROR"' in body
    assert "2 of these appointments still need attention" in body
    assert 'href="/review">Back to the review board</a>' in body

    page = client.get(url)  # a plain reload shows the same state as a page
    assert page.status_code == 200
    assert "Bulk retry finished" in page.get_data(as_text=True)


def test_cancel_skips_what_has_not_started(client, salon, sim):
    appointments = _failures(salon, 3)
    agent = Agent(client, salon.agent)
    run = _run_of(agent.retry(ids=[str(appointment.id) for appointment in appointments]))

    assert _drain(limit=1) == 1
    response = agent.cancel(run.id, htmx=True)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Bulk retry cancelled" in body
    assert "hx-trigger" not in body
    assert db.session.get(BulkRun, run.id, populate_existing=True).state is BulkRunState.CANCELLED
    _drain()
    first, *rest = (records.fresh(appointment.id) for appointment in appointments)
    assert first.sync_status is SyncStatus.SYNCED
    assert [(row.sync_status, row.attempt_count) for row in rest] == [(SyncStatus.FAILED, 1)] * 2
    assert len(active_bookings(sim)) == 1
    final = agent.progress(run.id)
    assert final.status_code == 286
    assert (_number(final.get_data(as_text=True), "synced"), _number(final.get_data(as_text=True), "skipped")) == (
        "1",
        "2",
    )
    plain = agent.cancel(run.id)  # a finished run: nothing to stop, the page again
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/review/bulk/{run.id}")
