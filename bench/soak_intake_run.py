"""One run of ``bench.soak_intake`` in a process of its own; started by it, with the run's environment already set.

The job queue is built when ``ops_ui`` is imported (``ops_ui.jobs.queue``), from ``SYNC_DESK_JOB_QUEUE_FILE``; the
parent sets that, ``SYNC_DESK_RATE_BUDGET_FILE``, ``DATABASE_URL``, the API keys and the Cal.com limit and timeout
before this module is loaded, so gunicorn, the job worker and this process share one database, queue and rate
budget. See ``bench.soak_intake`` for what is set up and measured; the figures go to ``figures.json`` in the run's
folder, progress lines to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import requests
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from bench.bulk_retry_run import interrupt, start_simulator, start_workers
from bench.slow_calcom import GUNICORN_CONFIG, BenchFailed, free_port, started, wait_for_http
from bench.soak_intake import CALCOM_TIMEOUT_SECONDS, FIGURES_FILE, Figures
from calcom_simulator.admin_client import SimulatorAdmin
from ops_ui import create_app
from ops_ui.config import Config
from ops_ui.engine.due import due_count, run_due_pass
from ops_ui.engine.gateway import rate_budget
from ops_ui.engine.writes import METADATA_KEY
from ops_ui.extensions import db
from ops_ui.intake.platform import PhoneAgentPlatform, http_transport
from ops_ui.models import (
    Appointment,
    AppointmentStatus,
    Call,
    Company,
    EventTypeMapping,
    Service,
    Staff,
    SyncStatus,
    utcnow,
)
from ops_ui.reconcile.run import reconcile_company

SALON_NUMBER = "+4930555010"
TIME_ZONE = "Europe/Berlin"
ZONE = ZoneInfo(TIME_ZONE)
OPENS, CLOSES = clock(6, 0), clock(20, 0)
OPENING_HOURS = [{"days": [1, 2, 3, 4, 5, 6, 7], "startTime": "06:00", "endTime": "20:00"}]
"""Open every day, so the run does not depend on the weekday it starts on."""
SERVICES = {"Dauerwelle": 135, "Haarschnitt": 45}
STAFF_NAMES = (
    "Anna Becker", "Ben Hoffmann", "Clara Wolf", "David Schulz", "Emma Richter", "Felix Braun", "Greta Krüger",
)  # fmt: skip
FIRST_NAMES = ("Erika", "Jonas", "Leonie", "Lukas", "Marie", "Paul", "Sophie", "Tim", "Hannah", "Noah", "Lea", "Finn")
LAST_NAMES = ("Muster", "Meyer", "Weber", "Fischer", "Wagner", "Koch", "Bauer", "Klein", "Schröder", "Neumann")
DAYS = 10
"""Bookings and checks are for the next ``DAYS`` days, from tomorrow."""

# The mix: conversations are mostly new customers booking; the shares below make about 30/55/15 % of requests
# free-times checks, bookings and cancellations.
BOOK_AGAIN_SHARE = 0.08
"""Conversations that book again exactly what an earlier caller booked (same person, new call id)."""
CANCEL_LATER_SHARE = 0.07
"""Conversations that cancel an earlier caller's confirmed booking from a new call id."""
CHECK_FIRST_SHARE = 0.55
CANCEL_IN_CALL_SHARE = 0.2
ANONYMOUS_SHARE = 0.08
ANONYMOUS_WITH_EMAIL_SHARE = 0.6
EMAIL_SHARE = 0.5
STAFF_NAMED_SHARE = 0.25
RESEND_SHARE = 0.1

FAULT_RATE = 0.2
FAULT_COUNT = 10**9
"""Every fault is set with this ``count``: the simulator counts it down only for requests the fault hits."""
BLOCKING_KIND = "http_429"
HANG_BEYOND_TIMEOUT_SECONDS = 1.5

SETTLE_SHIFT = timedelta(hours=2)
"""The settling passes' ``now``: past the lease, ``UNSETTLED_AFTER`` and the back-offs of 1, 5, 15 and 60 minutes;
the soonest booking (tomorrow 06:00) still lies ahead of it."""
ANY_TIME = timedelta(days=30)
"""Further ahead than any back-off: what is due by then is all the engine will ever pick up by itself."""
SETTLE_SECONDS = 240.0
POLL_SECONDS = 1.0
REPORT_EVERY_SECONDS = 10.0
PLATFORM_WAIT_SECONDS = 120.0


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the salon ---------------------------------------------------------------------------------------------------


def seed_salon(admin: SimulatorAdmin) -> int:
    """The salon (its phone number is what the calls ring), its services and staff, in Sync Desk and Cal.com."""
    company = Company(name="Salon Dauerlauf", time_zone=TIME_ZONE, phone_number=SALON_NUMBER)
    services = [Service(company=company, name=name, duration_minutes=length) for name, length in SERVICES.items()]
    db.session.add_all([company, *services])
    db.session.flush()
    for number, name in enumerate(STAFF_NAMES, 1):
        email = f"{name.split()[0].lower()}@salon-dauerlauf.de"
        user = admin.create_user(name, email, time_zone=TIME_ZONE, working_hours=OPENING_HOURS)
        staff = Staff(company_id=company.id, name=name, email=email, calcom_user_id=user["id"])
        db.session.add(staff)
        db.session.flush()
        for service in services:
            slug = f"{service.name.lower()}-{number}"
            title = f"{service.name} bei {name}"
            event_type = admin.create_event_type(title, slug, service.duration_minutes, user["id"])
            db.session.add(
                EventTypeMapping(service_id=service.id, staff_id=staff.id, calcom_event_type_id=event_type["id"])
            )
    db.session.commit()
    return company.id


def grid_start(rng: random.Random, service: str, day: date) -> str:
    """A start on the service's slot grid that day (the simulator's slots step by the length from opening)."""
    length = SERVICES[service]
    slots = ((CLOSES.hour - OPENS.hour) * 60) // length
    local = datetime.combine(day, OPENS, ZONE) + timedelta(minutes=length * rng.randrange(slots))
    return local.isoformat()


# --- faults ------------------------------------------------------------------------------------------------------


def fault_config(kind: str, hang: float) -> dict[str, Any]:
    shape: dict[str, dict[str, Any]] = {
        "timeout": {"hangSeconds": hang},
        "hang_after_commit": {"hangAfterCommitSeconds": hang},
        "http_500": {"status": 500},
        "html_502": {"html502": True},
        "malformed_json": {"malformedJson": True},
        BLOCKING_KIND: {"status": 429},
    }
    return shape[kind] | {"rate": FAULT_RATE, "pathPrefix": "/v2", "count": FAULT_COUNT}


def fault_plan(kinds: Sequence[str], phases: int) -> list[str]:
    """The kind of each phase: the others take turns; the 429 (which blocks for a minute) only in the last one."""
    turning = [kind for kind in kinds if kind != BLOCKING_KIND] or [BLOCKING_KIND]
    plan = [turning[phase % len(turning)] for phase in range(phases)]
    if BLOCKING_KIND in kinds and phases:
        plan[-1] = BLOCKING_KIND
    return plan


class FaultSchedule:
    """Switches the simulator's one fault every ``every`` requests and counts what each kind really faulted."""

    def __init__(self, admin: SimulatorAdmin, kinds: Sequence[str], every: int, total: int, hang: float) -> None:
        self.admin = admin
        self.every = max(1, every)
        self.plan = fault_plan(kinds, math.ceil(total / self.every))
        self.hang = hang
        self.current: str | None = None
        self.injected: Counter[str] = Counter()
        self.phases: Counter[str] = Counter()

    def before(self, number: int) -> None:
        """Called with each request's number (from 0), one at a time."""
        if number % self.every == 0 and number // self.every < len(self.plan):
            kind = self.plan[number // self.every]
            self._count()
            self.admin.set_faults(**fault_config(kind, self.hang))
            self.current = kind
            self.phases[kind] += 1

    def finish(self) -> None:
        self._count()
        self.admin.clear_faults()
        self.current = None

    def _count(self) -> None:
        if self.current is None:
            return
        answer = self.admin.session.get(f"{self.admin.base_url}/_sim/faults", timeout=self.admin.timeout)
        answer.raise_for_status()
        state = answer.json()
        if state.get("active"):
            self.injected[self.current] += FAULT_COUNT - int(state["remaining"])


# --- the callers -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    number: str
    """The number the call comes from: a German mobile number, or a withheld one (``anonymous_…``)."""
    email: str | None

    @property
    def anonymous(self) -> bool:
        return self.number.startswith("anonymous_")


@dataclass(frozen=True)
class Sent:
    """One function call as the platform delivered it."""

    function: str
    call_id: str
    args: dict[str, Any]
    status: int | None
    answer: dict[str, Any]
    attempts: int
    ms: float
    answered_at: datetime
    resent: bool = False
    same_as_first: bool | None = None
    """For a re-sent booking or cancellation: was the answer the first one's?"""


@dataclass(frozen=True)
class Booked:
    """A booking a caller asked for and was answered, for callers who ring again."""

    person: Person
    args: dict[str, Any]
    answer: dict[str, Any]


class OutOfCalls(Exception):
    """The run's number of function calls is reached; the conversation ends here."""


@dataclass
class Workload:
    """What all callers share: the count of calls, the fault schedule, what was sent and booked."""

    total: int
    seed: int
    faults: FaultSchedule
    first_day: date
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    conversations: int = 0
    duplicates: int = 0
    anonymous: int = 0
    records: list[Sent] = field(default_factory=list)
    booked: list[Booked] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)
    next_report: float = field(default_factory=lambda: time.monotonic() + REPORT_EVERY_SECONDS)

    def next_conversation(self) -> int | None:
        with self.lock:
            if self.sent >= self.total:
                return None
            self.conversations += 1
            return self.conversations

    def take(self) -> None:
        """One more function call may be sent; the fault switches first when its phase is over."""
        with self.lock:
            if self.sent >= self.total:
                raise OutOfCalls
            number, self.sent = self.sent, self.sent + 1
            self.faults.before(number)
            if time.monotonic() >= self.next_report:
                self.next_report += REPORT_EVERY_SECONDS
                confirmed = sum(1 for sent in self.records if sent.answer.get("confirmed") is True)
                log(f"  {time.monotonic() - self.started_at:5.0f} s: {number}/{self.total} sent, {confirmed} confirmed")

    def record(self, sent: Sent) -> None:
        with self.lock:
            self.records.append(sent)

    def remember(self, booked: Booked) -> None:
        with self.lock:
            self.booked.append(booked)

    def earlier(self, rng: random.Random, *, confirmed: bool) -> Booked | None:
        with self.lock:
            pool = [b for b in self.booked if "appointment_id" in b.answer and (b.answer["confirmed"] or not confirmed)]
        return rng.choice(pool) if pool else None

    def count(self, *, duplicate: bool = False, anonymous: bool = False) -> None:
        with self.lock:
            self.duplicates += duplicate
            self.anonymous += anonymous


class Caller:
    """One caller thread: conversation after conversation, each a call id of its own."""

    def __init__(self, workload: Workload, base_url: str, api_key: str) -> None:
        self.workload = workload
        transport = http_transport(base_url, requests.Session())
        self.platform = PhoneAgentPlatform(api_key, transport, wait_seconds=PLATFORM_WAIT_SECONDS)

    def run(self) -> None:
        while (index := self.workload.next_conversation()) is not None:
            rng = random.Random(f"{self.workload.seed}:{index}")
            try:
                self.converse(rng, index)
            except OutOfCalls:
                return

    def converse(self, rng: random.Random, index: int) -> None:
        kind = rng.random()
        if kind < BOOK_AGAIN_SHARE and (earlier := self.workload.earlier(rng, confirmed=False)) is not None:
            self.workload.count(duplicate=True, anonymous=earlier.person.anonymous)
            self.send(rng, earlier.person, f"call_soak_{index:05d}", "book_appointment", dict(earlier.args))
        elif (
            kind < BOOK_AGAIN_SHARE + CANCEL_LATER_SHARE
            and (earlier := self.workload.earlier(rng, confirmed=True)) is not None
        ):
            self.workload.count(anonymous=earlier.person.anonymous)
            self.cancel(rng, earlier.person, f"call_soak_{index:05d}", earlier.args["start"])
        else:
            self.book(rng, index)

    def book(self, rng: random.Random, index: int) -> None:
        """A new customer: maybe free times first, then a booking, maybe cancelled again before hanging up."""
        person = new_person(rng, index)
        self.workload.count(anonymous=person.anonymous)
        call_id = f"call_soak_{index:05d}"
        service = rng.choice(sorted(SERVICES))
        day = self.workload.first_day + timedelta(days=rng.randrange(DAYS))
        start, staff = None, None
        if rng.random() < CHECK_FIRST_SHARE:
            check: dict[str, Any] = {"service": service, "date": day.isoformat()}
            if rng.random() < STAFF_NAMED_SHARE:
                check["staff"] = rng.choice(STAFF_NAMES)
            slots = self.send(rng, person, call_id, "check_availability", check).get("slots") or []
            if slots:
                slot = rng.choice(slots)
                start = slot["start"]
                if rng.random() < STAFF_NAMED_SHARE:
                    staff = rng.choice(slot["staff"])
        start = start or grid_start(rng, service, day)
        args: dict[str, Any] = {"name": person.name, "service": service, "start": start}
        if person.email and (person.anonymous or rng.random() < EMAIL_SHARE):
            args["email"] = person.email
        if staff:
            args["staff"] = staff
        answer = self.send(rng, person, call_id, "book_appointment", args)
        self.workload.remember(Booked(person, args, answer))
        if rng.random() < CANCEL_IN_CALL_SHARE:
            self.cancel(rng, person, call_id, args["start"])

    def cancel(self, rng: random.Random, person: Person, call_id: str, start: str) -> None:
        args: dict[str, Any] = {"start": start, "reason": "Mir ist leider etwas dazwischengekommen."}
        if person.anonymous and person.email:
            args["email"] = person.email
        self.send(rng, person, call_id, "cancel_appointment", args)

    def send(
        self, rng: random.Random, person: Person, call_id: str, function: str, args: dict[str, Any]
    ) -> dict[str, Any]:
        """Send once, and one time in ten again with the same body (the platform's retry of a lost answer)."""
        call = {"call_id": call_id, "from_number": person.number, "to_number": SALON_NUMBER, "agent_id": "agent_soak"}
        first = self._deliver(function, call, args)
        if rng.random() < RESEND_SHARE:
            self._deliver(function, call, args, first=first)
        return first.answer

    def _deliver(self, function: str, call: dict[str, Any], args: dict[str, Any], first: Sent | None = None) -> Sent:
        self.workload.take()
        began = time.monotonic()
        delivered = self.platform.call(function, call, args)
        ms = (time.monotonic() - began) * 1000
        same = None if first is None or function == "check_availability" else delivered.answer == first.answer
        sent = Sent(
            function, call["call_id"], args, delivered.status, delivered.answer, delivered.attempts, ms,
            answered_at=datetime.now(UTC), resent=first is not None, same_as_first=same,
        )  # fmt: skip
        self.workload.record(sent)
        return sent


def new_person(rng: random.Random, index: int) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first.lower()}.{last.lower()}.{index}@kunden-mail.de".replace("ö", "oe")
    if rng.random() < ANONYMOUS_SHARE:
        number = f"anonymous_{int(time.time())}_{index:06x}"
        return Person(f"{first} {last}", number, email if rng.random() < ANONYMOUS_WITH_EMAIL_SHARE else None)
    return Person(f"{first} {last}", f"+49151{index:08d}", email)


def run_calls(workload: Workload, base_url: str, api_key: str, callers: int) -> None:
    """``callers`` threads until the run's calls are sent; a caller that crashed fails the run."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            Caller(workload, base_url, api_key).run()
        except BaseException as error:  # reported below, once the other callers ended
            errors.append(error)

    threads = [threading.Thread(target=body, name=f"caller-{n}") for n in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise BenchFailed(f"a caller crashed: {errors[0]!r}") from errors[0]


# --- settling ----------------------------------------------------------------------------------------------------


def lift_block(app: Flask) -> None:
    """End the block an injected 429 left in the run's rate budget (the simulator's limiter never blocked)."""
    budget = rate_budget(app.config)
    budget.store.update(budget.key, lambda state: (replace(state, blocked_until=0.0), None))


def left_for_engine() -> int:
    """Appointments the engine will still pick up by itself, now or after a back-off or a rate-limit window."""
    return due_count(utcnow() + ANY_TIME)


def settle() -> int:
    """Due passes at ``now`` + ``SETTLE_SHIFT`` until the engine has nothing left (or ``SETTLE_SECONDS`` passed);
    while what is left waits for the rate budget (a deferral is put back for the end of the block, in real time),
    polls every second. Returns the number of passes."""
    passes = 0
    limit = time.monotonic() + SETTLE_SECONDS
    while left_for_engine() and time.monotonic() < limit:
        if due_count(utcnow() + SETTLE_SHIFT):
            summary = run_due_pass(now=utcnow() + SETTLE_SHIFT)
            passes += 1
            if not summary.deferred:
                continue
        time.sleep(POLL_SECONDS)
    return passes


# --- measuring ---------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least ``share`` of all values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


DEAD_STATUSES = ("cancelled", "rejected")


def live(bookings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [booking for booking in bookings if booking.get("status") not in DEAD_STATUSES]


def by_owner(bookings: Iterable[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Every booking (cancelled ones too) per appointment id its metadata carries."""
    owned: dict[int, list[dict[str, Any]]] = {}
    for booking in bookings:
        owner = str((booking.get("metadata") or {}).get(METADATA_KEY, ""))
        if owner.isdigit():
            owned.setdefault(int(owner), []).append(booking)
    return owned


def live_at(booking: dict[str, Any], moment: datetime) -> bool:
    """The booking existed at ``moment`` and was not cancelled yet (a cancelled booking's ``updatedAt`` says when)."""
    if datetime.fromisoformat(booking["createdAt"]) > moment:
        return False
    if booking.get("status") not in DEAD_STATUSES:
        return True
    return datetime.fromisoformat(booking.get("updatedAt") or booking["createdAt"]) >= moment


def holds_live(appointment: Appointment | None, live_uids: set[str]) -> bool:
    return (
        appointment is not None
        and appointment.status is AppointmentStatus.SCHEDULED
        and appointment.sync_status is SyncStatus.SYNCED
        and appointment.calcom_booking_uid in live_uids
    )


CALLERS_CANCELLATIONS = ("cancelled", "cancel_noted")
"""Answers after which the caller's appointment must end cancelled on both sides (``cancel_noted``: here at once,
in Cal.com when the engine gets through)."""


def cancelled_here_and_there(appointment: Appointment | None, live_uids: set[str]) -> bool:
    return (
        appointment is not None
        and appointment.status is AppointmentStatus.CANCELLED
        and appointment.calcom_booking_uid not in live_uids
    )


def in_step(appointment_id: Any, live_uids: set[str], cancelled_by_caller: set[int]) -> bool:
    """The appointment is synced with a live booking now, or, after the caller's cancellation was answered
    (``CALLERS_CANCELLATIONS``), cancelled here and in Cal.com."""
    appointment = db.session.get(Appointment, appointment_id) if isinstance(appointment_id, int) else None
    if appointment_id in cancelled_by_caller:
        return cancelled_here_and_there(appointment, live_uids)
    return holds_live(appointment, live_uids)


def desync_calls(live_uids: set[str], cancelled_by_caller: set[int]) -> int:
    """Confirmed calls whose appointment is missing or not in step (``in_step``)."""
    confirmed = db.session.scalars(select(Call.appointment_id).where(Call.booking_confirmed.is_(True))).all()
    return len([found for found in confirmed if not in_step(found, live_uids, cancelled_by_caller)])


def confirmed_without_booking(
    records: Sequence[Sent], owned: dict[int, list[dict[str, Any]]], live_uids: set[str], cancelled_by_caller: set[int]
) -> int:
    """Answers that said confirmed while no booking carrying their appointment's id was live in Cal.com at that
    moment, or whose appointment is not in step now (``in_step``). The first half catches a confirmation the
    engine made true only afterwards, which the state at the end no longer shows."""
    count = 0
    for sent in records:
        if sent.answer.get("confirmed") is not True:
            continue
        appointment_id = sent.answer.get("appointment_id")
        bookings = owned.get(appointment_id, []) if isinstance(appointment_id, int) else []
        then = any(live_at(booking, sent.answered_at) for booking in bookings)
        count += not (then and in_step(appointment_id, live_uids, cancelled_by_caller))
    return count


def duplicates(bookings: Sequence[dict[str, Any]]) -> tuple[int, int, int]:
    """Among live bookings: appointments with more than one carrying their id; bookings of one host overlapping
    an earlier one (one start included); one attendee's second booking at one start."""
    per_appointment = Counter(
        str(owner) for booking in bookings if (owner := (booking.get("metadata") or {}).get(METADATA_KEY)) is not None
    )
    by_host: dict[int, list[tuple[str, str]]] = {}
    for booking in bookings:
        for host in booking.get("hosts") or []:
            by_host.setdefault(int(host["id"]), []).append((booking["start"], booking["end"]))
    overlapping = 0
    for times in by_host.values():
        times.sort()
        overlapping += sum(1 for (_, end), (start, _) in pairwise(times) if start < end)
    per_customer = Counter(
        (attendee.get("email") or attendee.get("phoneNumber"), booking["start"])
        for booking in bookings
        for attendee in (booking.get("attendees") or [])[:1]
    )
    return (
        sum(1 for n in per_appointment.values() if n > 1),
        overlapping,
        sum(n - 1 for n in per_customer.values() if n > 1),
    )


def gunicorn_timeouts(folder: Path) -> int:
    return (folder / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")


@dataclass(frozen=True)
class Timings:
    calls_seconds: float
    settle_seconds: float
    settle_passes: int
    wall_seconds: float


def measure(
    workload: Workload, admin: SimulatorAdmin, company_id: int, limit: int, timings: Timings, folder: Path
) -> Figures:
    records = workload.records
    every = admin.bookings()
    bookings = live(every)
    live_uids = {booking["uid"] for booking in bookings}
    cancelled_by_caller = {
        int(sent.answer["appointment_id"]) for sent in records if sent.answer.get("status") in CALLERS_CANCELLATIONS
    }
    per_appointment, per_host, per_customer = duplicates(bookings)
    run = reconcile_company(company_id)
    appointments = db.session.execute(
        select(Appointment.status, Appointment.sync_status, func.count()).group_by(
            Appointment.status, Appointment.sync_status
        )
    ).all()
    failed = db.session.execute(
        select(Appointment.last_error_category, func.count())
        .where(Appointment.sync_status == SyncStatus.FAILED)
        .group_by(Appointment.last_error_category)
    ).all()
    failed_without_error = db.session.scalar(
        select(func.count()).where(
            Appointment.sync_status == SyncStatus.FAILED,
            func.coalesce(func.trim(Appointment.last_error_message), "") == "",
        )
    )
    times = [sent.ms for sent in records]
    return Figures(
        calls=len(records),
        conversations=len({sent.call_id for sent in records}),
        by_function=dict(Counter(sent.function for sent in records)),
        resent=sum(1 for sent in records if sent.resent),
        duplicates=workload.duplicates,
        anonymous=workload.anonymous,
        answers_by_status=dict(Counter(str(sent.answer.get("status") or f"HTTP {sent.status}") for sent in records)),
        http_errors=sum(1 for sent in records if sent.status is None or sent.status >= 500),
        platform_retries=sum(sent.attempts - 1 for sent in records),
        confirmed_answers=sum(1 for sent in records if sent.answer.get("confirmed") is True),
        confirmed_calls=int(db.session.scalar(select(func.count()).where(Call.booking_confirmed.is_(True))) or 0),
        desync=desync_calls(live_uids, cancelled_by_caller),
        confirmed_without_booking=confirmed_without_booking(records, by_owner(every), live_uids, cancelled_by_caller),
        duplicate_per_appointment=per_appointment,
        duplicate_per_host=per_host,
        duplicate_per_customer=per_customer,
        failed_without_error=int(failed_without_error or 0),
        resent_answered_differently=sum(1 for sent in records if sent.same_as_first is False),
        mismatches=sum(int(count) for count in (run.counts or {}).values()),
        mismatch_kinds={kind: int(count) for kind, count in (run.counts or {}).items() if count},
        reconciliation_error=run.error,
        still_due=left_for_engine(),
        p50_ms=percentile(times, 0.5),
        p95_ms=percentile(times, 0.95),
        max_ms=max(times, default=0.0),
        faults_injected=dict(workload.faults.injected),
        fault_phases=dict(workload.faults.phases),
        appointments={
            (sync.value if status is AppointmentStatus.SCHEDULED else f"{status.value} ({sync.value})"): int(count)
            for status, sync, count in appointments
        },
        failed_by_category={(category.value if category else "none"): int(count) for category, count in failed},
        gunicorn_worker_timeouts=gunicorn_timeouts(folder),
        limit=limit,
        settle_passes=timings.settle_passes,
        calls_seconds=round(timings.calls_seconds, 1),
        settle_seconds=round(timings.settle_seconds, 1),
        wall_seconds=round(timings.wall_seconds, 1),
    )


# --- main --------------------------------------------------------------------------------------------------------


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(130)  # so the ExitStack stops the simulator, gunicorn and the worker, as on Ctrl-C


def check_environment(folder: Path) -> None:
    """Refuse to run on anything but the run's own files (started by hand, the queue would be ``instance/``'s)."""
    config = Config()
    for name, value in (
        ("SYNC_DESK_JOB_QUEUE_FILE", config.JOB_QUEUE_FILE),
        ("SYNC_DESK_RATE_BUDGET_FILE", config.RATE_BUDGET_FILE),
        ("DATABASE_URL", config.SQLALCHEMY_DATABASE_URI),
    ):
        if str(folder) not in value:
            raise BenchFailed(f"{name} is not in {folder}; run python -m bench.soak_intake instead")


def run(args: argparse.Namespace) -> Figures:
    began = time.monotonic()
    folder: Path = args.folder
    check_environment(folder)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with ExitStack() as stack:
        admin = start_simulator(stack, env, folder, args.limit)
        app = create_app({"CALCOM_API_URL": env["CALCOM_API_URL"]})
        with app.app_context():
            upgrade()
            company_id = seed_salon(admin)

        env["SYNC_DESK_BIND"] = f"127.0.0.1:{free_port()}"
        base_url = f"http://{env['SYNC_DESK_BIND']}"
        app_log = folder / "gunicorn.log"
        gunicorn_command = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "--threads", str(args.threads)]
        gunicorn = stack.enter_context(
            started([*gunicorn_command, "--no-control-socket", "app:app"], env, app_log, "gunicorn", 40)
        )
        wait_for_http(f"{base_url}/login", gunicorn, app_log, 60)
        workers = start_workers(stack, env, folder, 1, None)
        log(f"{args.calls} calls from {args.callers} callers to {base_url}; Cal.com at {env['CALCOM_API_URL']}")

        hang = CALCOM_TIMEOUT_SECONDS + HANG_BEYOND_TIMEOUT_SECONDS
        faults = FaultSchedule(admin, args.faults, args.rotate_every, args.calls, hang)
        first_day = datetime.now(ZONE).date() + timedelta(days=1)
        workload = Workload(args.calls, args.seed, faults, first_day)
        run_calls(workload, base_url, env["RETELL_API_KEY"], args.callers)
        faults.finish()
        calls_done = time.monotonic()
        log(f"  calls done in {calls_done - workload.started_at:.1f} s; faults cleared, the engine finishes")

        interrupt(workers)
        with app.app_context():
            if args.lift_429_block:
                lift_block(app)
            passes = settle()
            settled = time.monotonic()
            log(f"  settled in {settled - calls_done:.1f} s ({passes} due passes); reconciling")
            timings = Timings(calls_done - workload.started_at, settled - calls_done, passes, 0.0)
            figures = measure(workload, admin, company_id, args.limit, timings, folder)
            db.session.remove()
            db.engine.dispose()
    return replace(figures, wall_seconds=round(time.monotonic() - began, 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--folder", type=lambda text: Path(text).resolve(), required=True)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--callers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--limit", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--rotate-every", type=int, required=True)
    parser.add_argument("--faults", type=lambda text: text.split(","), required=True)
    parser.add_argument("--lift-429-block", action="store_true")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        figures = run(args)
    except BenchFailed as failure:
        log(f"\nbench could not run: {failure}")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    (args.folder / FIGURES_FILE).write_text(json.dumps(asdict(figures), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
