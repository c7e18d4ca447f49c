"""`make run`: migrate, start the Cal.com simulator, seed the demo salon on first start, subscribe the app to the
simulator's webhooks, start a job worker and the app.

Ctrl-C or SIGTERM stops all three.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from urllib.parse import urlsplit

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from calcom_simulator.admin_client import SimulatorAdmin
from ops_ui import create_app
from ops_ui.config import INSTANCE_DIR
from ops_ui.demo.commands import echo_demo_logins
from ops_ui.demo.seed import seed_demo
from ops_ui.extensions import db
from ops_ui.jobs.queue import worker_command
from ops_ui.models import Company
from ops_ui.security_headers import QuietRequestHandler

APP_HOST = os.environ.get("SYNC_DESK_HOST", "127.0.0.1")
APP_PORT = int(os.environ.get("SYNC_DESK_PORT", "5000"))
WEBHOOK_PATH = "/webhooks/calcom"


def start_simulator(api_url: str, api_key: str) -> subprocess.Popen[str]:
    address = urlsplit(api_url)
    command = [
        sys.executable,
        "-m",
        "calcom_simulator",
        "--host",
        address.hostname or "127.0.0.1",
        "--port",
        str(address.port or 5100),
        "--db",
        str(INSTANCE_DIR / "calcom-simulator.sqlite"),
        "--api-key",
        api_key,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    ready_line = process.stdout.readline() if process.stdout else ""
    if "listening" not in ready_line:
        process.terminate()
        raise SystemExit(f"The Cal.com simulator did not start: {ready_line or 'no output'}")
    print(ready_line.strip(), flush=True)
    return process


def start_worker() -> subprocess.Popen[str]:
    """One job worker (two threads): the due pass every minute, the nightly clean-up, bulk retries."""
    return subprocess.Popen(worker_command(workers=2), text=True)


def stop(process: subprocess.Popen[str] | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def subscribe_to_simulator(admin: SimulatorAdmin, app: Flask) -> None:
    """The simulator delivers its bookings' changes (also those made in its Cal.com UI) to this app, signed with the
    configured secret, or with one made for this run."""
    url = f"http://{APP_HOST}:{APP_PORT}{WEBHOOK_PATH}"
    secret = app.config["CALCOM_WEBHOOK_SECRET"] or secrets.token_hex(16)
    app.config["CALCOM_WEBHOOK_SECRET"] = secret
    for webhook in admin.webhooks():
        if webhook["subscriberUrl"] == url:
            admin.remove_webhook(webhook["id"])
    admin.add_webhook(url, secret)
    print(f"Cal.com webhooks: the simulator delivers to {url}", flush=True)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # so `finally` stops the simulator on kill as on Ctrl-C
    app = create_app()
    INSTANCE_DIR.mkdir(exist_ok=True)
    simulator = None
    with app.app_context():
        upgrade()
        if urlsplit(app.config["CALCOM_API_URL"]).hostname in ("127.0.0.1", "localhost"):
            simulator = start_simulator(app.config["CALCOM_API_URL"], app.config["CALCOM_API_KEY"])
        try:
            if simulator and not db.session.scalar(select(func.count(Company.id))):
                print("Seeding the demo salon through the sync service…", flush=True)
                summary = seed_demo(
                    SimulatorAdmin(app.config["CALCOM_API_URL"]), reset=False, is_production=app.config["IS_PRODUCTION"]
                )
                print(f"Seeded {summary.appointments} appointments, {summary.failed} failed.", flush=True)
        except BaseException:
            stop(simulator)
            raise
    if simulator:
        subscribe_to_simulator(SimulatorAdmin(app.config["CALCOM_API_URL"]), app)
    worker = start_worker()
    print(f"\nSync Desk is running at http://{APP_HOST}:{APP_PORT}  (Ctrl-C stops it)", flush=True)
    if simulator:
        echo_demo_logins()
    try:
        app.run(
            host=APP_HOST,
            port=APP_PORT,
            debug=False,
            use_reloader=False,
            threaded=True,
            request_handler=QuietRequestHandler,
        )
    finally:
        stop(worker, signal.SIGINT)  # huey's graceful stop: a running job finishes first
        stop(simulator)


if __name__ == "__main__":
    main()
