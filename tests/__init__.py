"""The suite's job queue is a file of its own, set before anything imports the app (the queue is built on import)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault(
    "SYNC_DESK_JOB_QUEUE_FILE", str(Path(tempfile.mkdtemp(prefix="sync-desk-tests-")) / "jobs.sqlite")
)
