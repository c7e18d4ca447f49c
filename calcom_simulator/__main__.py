"""``python -m calcom_simulator``: serve the simulator on loopback until SIGTERM/SIGINT.

Prints exactly one line, ``Cal.com simulator listening on http://HOST:PORT``, once the socket is bound, so a
caller started with ``--port 0`` can read the real port instead of sleeping.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from werkzeug.serving import ThreadedWSGIServer, make_server

from calcom_simulator.app import SimulatorState, create_app
from calcom_simulator.store import Store


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m calcom_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5100, help="0 picks a free port")
    parser.add_argument("--db", default=os.environ.get("CALCOM_SIM_DB"), help="SQLite file (env CALCOM_SIM_DB)")
    parser.add_argument(
        "--api-key", action="append", dest="api_keys", default=[], help="repeatable; env CALCOM_API_KEY"
    )
    parser.add_argument("--owner-email", default="ops@salon.example", help="e-mail of the API keys' owner")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if not args.db:
        parser.error("--db (or CALCOM_SIM_DB) is required")
    if not args.api_keys and os.environ.get("CALCOM_API_KEY"):
        args.api_keys = [os.environ["CALCOM_API_KEY"]]
    bad = [key for key in args.api_keys if not key.startswith("cal_")]
    if bad:
        parser.error(f"API keys must start with cal_: {', '.join(bad)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)
    state = SimulatorState(store=Store(args.db), api_keys=args.api_keys, owner_email=args.owner_email)
    server = make_server(args.host, args.port, create_app(state), threaded=True)
    assert isinstance(server, ThreadedWSGIServer)
    server.daemon_threads = True  # a hanging request must never keep the process alive

    def stop(signum: int, frame: FrameType | None) -> None:
        state.stopping.set()  # wakes requests sleeping in a hang fault
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = str(server.host), server.port
    print(f"Cal.com simulator listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        state.webhooks.stop()
        state.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
