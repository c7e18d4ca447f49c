"""Bulk seeder for benchmarks: a migrated database with N appointments and M sync attempts, in chunks.

Fast because it skips the ORM: rows are generated as tuples and written straight to the driver — ``executemany`` in
chunks of ``CHUNK`` rows on SQLite, ``COPY`` on PostgreSQL — inside few transactions; the big tables' secondary
indexes are dropped during the load and rebuilt afterwards (sorted index builds are much faster than row-by-row
updates), then the attempt tally is recounted in SQL and ``ANALYZE`` runs so the planner knows the table sizes
(``VACUUM ANALYZE`` on PostgreSQL). The data is deterministic for a given seed.

Shape of the data (relative to ``now``): appointments created evenly over the last ``history_days`` days, starting
1 hour to 60 days after creation; 8 % cancelled; 2.5 % failed (93 % of those with a business category, as in the
old system), 1 % pending, the rest synced. Attempts are spread over the appointments (M / N each on average), a few
minutes apart after creation; the last attempt of a synced appointment succeeded. 0.1 % of the calls confirmed by the
voice agent have no appointment.

Usage: ``python -m bench.seed_large --appointments 1000000 --attempts 5000000 --database /tmp/bench.sqlite``
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask_migrate import upgrade
from sqlalchemy import Connection, Engine, Index, Table, create_engine, event, text

from ops_ui import create_app
from ops_ui.categories import BUSINESS_CATEGORIES, ErrorCategory
from ops_ui.extensions import db
from ops_ui.health.tally import rebuild_tally
from ops_ui.models import Appointment, Base, Call, Company, Customer, Service, Staff, SyncAttempt

CHUNK = 50_000
BUSINESS = sorted(category.value for category in BUSINESS_CATEGORIES)
TECHNICAL = sorted(category.value for category in set(ErrorCategory) - BUSINESS_CATEGORIES)
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class SeedSize:
    appointments: int = 1_000_000
    attempts: int = 5_000_000
    companies: int = 3
    staff_per_company: int = 25
    services_per_company: int = 12
    customers: int = 0  # 0: one customer per ten appointments
    calls: int = 0  # 0: one call per two appointments
    history_days: int = 730


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def _naive(moment: datetime) -> str:
    """How UTCDateTime stores an instant on SQLite: naive UTC text; PostgreSQL accepts the same literal."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _chunks(rows: Iterator[tuple[Any, ...]], size: int = CHUNK) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """Rows straight to the driver, chunk by chunk: ``COPY`` on PostgreSQL, ``executemany`` on SQLite; returns the
    number of rows written."""
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, columns, rows)
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    written = 0
    for chunk in _chunks(rows):
        conn.exec_driver_sql(sql, chunk)
        written += len(chunk)
    return written


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> int:
    """psycopg's ``COPY … FROM STDIN`` in the connection's own transaction (several times faster than inserts)."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    written = 0
    with cursor.copy(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    cursor.close()
    return written


def _secondary_indexes(*tables: Table) -> list[Index]:
    return [index for table in tables for index in table.indexes]


def migrate_empty(url: str) -> None:
    """Build the schema through the real migrations, so the benchmark measures the indexes production has."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def chosen_databases(chosen: str, sqlite_url: str) -> list[tuple[str, str]]:
    """The databases a benchmark measures, by name (``sqlite,postgresql``), with their URLs. PostgreSQL's is
    ``BENCH_POSTGRES_URL`` (``bench/postgres.sh`` sets it); without it, or for an unknown name, a line says so."""
    urls = {"sqlite": sqlite_url, "postgresql": os.environ.get("BENCH_POSTGRES_URL")}
    picked = []
    for name in chosen.split(","):
        url = urls.get(name)
        if url:
            picked.append((name, url))
        elif name in urls:
            print(f"(skipping {name}: set BENCH_POSTGRES_URL to a database of its own)")
        else:
            print(f"(skipping {name}: not one of {', '.join(urls)})")
    return picked


def empty_database(url: str) -> None:
    """SQLite: a new file; PostgreSQL: the ``public`` schema dropped and made again (extensions in it go too)."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seeded_rows(url: str, table: str) -> int:
    """How many rows ``table`` holds; -1 before the schema exists."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    except Exception:  # no such table yet: nothing seeded
        return -1
    finally:
        engine.dispose()


def _fast_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-400000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()


def seed(url: str, size: SeedSize, now: datetime, seed_value: int = 7, log: Callable[[str], None] = print) -> None:
    """Fill an empty, migrated database. Prints a line per table with its speed."""
    rng = random.Random(seed_value)
    engine = create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        _fast_sqlite(engine)
    customers = size.customers or max(size.appointments // 10, 1)
    calls = size.calls or size.appointments // 2
    first_created = now - timedelta(days=size.history_days)
    history_seconds = size.history_days * 86400
    big_tables = [_table(Appointment), _table(SyncAttempt), _table(Call)]
    indexes = _secondary_indexes(*big_tables)

    def timed(label: str, work: Callable[[], int]) -> None:
        started = time.perf_counter()
        count = work()
        elapsed = time.perf_counter() - started
        log(f"  {label:<14} {count:>10,} rows in {elapsed:7.1f} s ({count / max(elapsed, 1e-9):>9,.0f} rows/s)")

    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        timed(
            "companies",
            lambda: _insert(
                conn,
                _table(Company),
                ("id", "name", "time_zone"),
                ((i, f"Salon {i}", "Europe/Berlin") for i in range(1, size.companies + 1)),
            ),
        )
        staff_ids: dict[int, list[int]] = {c: [] for c in range(1, size.companies + 1)}
        service_ids: dict[int, list[int]] = {c: [] for c in range(1, size.companies + 1)}
        staff_rows: list[tuple[Any, ...]] = []
        service_rows: list[tuple[Any, ...]] = []
        for company in range(1, size.companies + 1):
            for _ in range(size.staff_per_company):
                ident = len(staff_rows) + 1
                staff_rows.append((ident, company, f"Stylist {ident}", f"stylist{ident}@bench.test", True))
                staff_ids[company].append(ident)
            for _ in range(size.services_per_company):
                ident = len(service_rows) + 1
                service_rows.append((ident, company, f"Service {ident}", rng.choice((30, 45, 60, 90, 135))))
                service_ids[company].append(ident)
        timed(
            "staff",
            lambda: _insert(conn, _table(Staff), ("id", "company_id", "name", "email", "active"), iter(staff_rows)),
        )
        timed(
            "services",
            lambda: _insert(
                conn, _table(Service), ("id", "company_id", "name", "duration_minutes"), iter(service_rows)
            ),
        )

        def customer_company(ident: int) -> int:
            return (ident - 1) % size.companies + 1

        timed(
            "customers",
            lambda: _insert(
                conn,
                _table(Customer),
                ("id", "company_id", "name", "email", "phone"),
                ((i, customer_company(i), f"Customer {i}", f"c{i}@kunden.test", None) for i in range(1, customers + 1)),
            ),
        )

        created_of: list[int] = [0] * (size.appointments + 1)  # seconds after first_created, for the attempts
        company_of = bytearray(size.appointments + 1)
        synced_of = bytearray(size.appointments + 1)

        def appointment_rows() -> Iterator[tuple[Any, ...]]:
            step = history_seconds / max(size.appointments, 1)
            for ident in range(1, size.appointments + 1):
                customer = rng.randrange(1, customers + 1)
                company = customer_company(customer)
                company_of[ident] = company
                offset = int((ident - 1) * step + rng.random() * step)
                created_of[ident] = offset
                created = first_created + timedelta(seconds=offset)
                starts = created + timedelta(seconds=rng.randrange(3600, 60 * 86400))
                duration = rng.choice((30, 45, 60, 90, 135))
                roll = rng.random()
                status = "cancelled" if rng.random() < 0.08 else ("completed" if starts < now else "scheduled")
                category = failed_since = next_retry = last_attempt = message = None
                attempts = rng.randint(1, 5)
                if roll < 0.025:
                    sync = "failed"
                    category = rng.choice(BUSINESS) if rng.random() < 0.93 else rng.choice(TECHNICAL)
                    failed_since = _naive(created + timedelta(minutes=1))
                    message = "Cal.com answered 409: User already has booking at this time"
                    if category in TECHNICAL:
                        next_retry = _naive(created + timedelta(minutes=attempts * 5))
                elif roll < 0.035:
                    sync = "pending"
                    attempts = rng.randint(0, 2)
                    if attempts:
                        next_retry = _naive(created + timedelta(minutes=10))
                else:
                    sync = "synced"
                    synced_of[ident] = 1
                if attempts:
                    last_attempt = _naive(created + timedelta(minutes=attempts))
                yield (
                    ident,
                    company,
                    customer,
                    rng.choice(service_ids[company]),
                    rng.choice(staff_ids[company]) if rng.random() > 0.01 else None,
                    _naive(starts),
                    _naive(starts + timedelta(minutes=duration)),
                    status,
                    sync,
                    f"bk_{ident}" if sync == "synced" else None,
                    category,
                    message,
                    attempts,
                    last_attempt,
                    next_retry,
                    failed_since,
                    "voice_agent",
                    1,
                    _naive(created),
                    _naive(created),
                )

        timed(
            "appointments",
            lambda: _insert(
                conn,
                _table(Appointment),
                (
                    "id",
                    "company_id",
                    "customer_id",
                    "service_id",
                    "staff_id",
                    "starts_at",
                    "ends_at",
                    "status",
                    "sync_status",
                    "calcom_booking_uid",
                    "last_error_category",
                    "last_error_message",
                    "attempt_count",
                    "last_attempt_at",
                    "next_retry_at",
                    "failed_since",
                    "source",
                    "version",
                    "created_at",
                    "updated_at",
                ),
                appointment_rows(),
            ),
        )

        def attempt_rows() -> Iterator[tuple[Any, ...]]:
            per = max(size.attempts / max(size.appointments, 1), 0)
            ident = 0
            for appointment in range(1, size.appointments + 1):
                quota = int(per * appointment) - int(per * (appointment - 1))
                for nth in range(quota):
                    ident += 1
                    at = first_created + timedelta(seconds=created_of[appointment] + 60 * nth * 7 + 5)
                    succeeded = bool(synced_of[appointment]) and nth == quota - 1
                    if not succeeded and synced_of[appointment] and rng.random() < 0.5:
                        succeeded = True  # lookups and reschedules of synced appointments mostly succeed
                    yield (
                        ident,
                        appointment,
                        company_of[appointment],
                        "create" if nth == 0 else "lookup",
                        "POST" if nth == 0 else "GET",
                        "/v2/bookings",
                        200 if succeeded else 409,
                        succeeded,
                        None if succeeded else "HOST_CONFLICT",
                        rng.randrange(80, 900),
                        _naive(at) if at <= now else _naive(now),
                    )

        timed(
            "attempts",
            lambda: _insert(
                conn,
                _table(SyncAttempt),
                (
                    "id",
                    "appointment_id",
                    "company_id",
                    "operation",
                    "method",
                    "path",
                    "response_status",
                    "succeeded",
                    "error_category",
                    "latency_ms",
                    "at",
                ),
                attempt_rows(),
            ),
        )
        timed("attempt tally", lambda: rebuild_tally(conn))

        def call_rows() -> Iterator[tuple[Any, ...]]:
            for ident in range(1, calls + 1):
                appointment = rng.randrange(1, size.appointments + 1) if size.appointments else None
                missing = rng.random() < 0.001
                created = first_created + timedelta(seconds=created_of[appointment] if appointment else 0)
                yield (
                    ident,
                    f"call_{ident}",
                    rng.randrange(1, size.companies + 1),
                    "+4930" + str(1_000_000 + ident),
                    True,
                    None if missing else appointment,
                    _naive(created),
                )

        timed(
            "calls",
            lambda: _insert(
                conn,
                _table(Call),
                (
                    "id",
                    "external_call_id",
                    "company_id",
                    "caller_number",
                    "booking_confirmed",
                    "appointment_id",
                    "created_at",
                ),
                call_rows(),
            ),
        )

        started = time.perf_counter()
        for index in indexes:
            index.create(conn)
        if indexes:
            log(f"  {'indexes':<14} {len(indexes):>10} rebuilt in {time.perf_counter() - started:5.1f} s")
        if not sqlite:
            for table in ("company", "staff", "service", "customer", "appointment", "sync_attempt", "call"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))  # fmt: skip
    started = time.perf_counter()
    # PostgreSQL also vacuumed, as autovacuum would have done by the time anyone looks: until then the visibility map
    # is empty and every index-only scan reads the table rows too.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if sqlite else "VACUUM ANALYZE"))
    log(f"  {'analyze':<14} {time.perf_counter() - started:>18.1f} s")
    engine.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL or a path to a new SQLite file")
    parser.add_argument("--appointments", type=int, default=SeedSize.appointments)
    parser.add_argument("--attempts", type=int, default=SeedSize.attempts)
    parser.add_argument("--companies", type=int, default=SeedSize.companies)
    args = parser.parse_args(argv)
    url = args.database if "://" in args.database else f"sqlite:///{args.database}"
    migrate_empty(url)
    size = SeedSize(appointments=args.appointments, attempts=args.attempts, companies=args.companies)
    seed(url, size, datetime.now(UTC).replace(microsecond=0))


if __name__ == "__main__":
    main()
