"""Which simulated failure (if any) hits a request; pure decision logic, unit-testable with a seeded RNG."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, fields
from typing import Any

ADMIN_PREFIX = "/_sim"


class FaultConfigError(ValueError):
    """The admin sent a fault description the simulator cannot apply."""


@dataclass(frozen=True)
class FaultConfig:
    """One active fault description (``PUT /_sim/faults``); all parts optional and combinable."""

    latencyMs: float = 0
    status: int | None = None
    rate: float = 1.0
    hangSeconds: float = 0
    hangAfterCommitSeconds: float = 0
    statusAfterCommit: int | None = None
    dropAfterCommit: bool = False
    html502: bool = False
    malformedJson: bool = False
    method: str | None = None
    pathPrefix: str = "/v2"
    count: int | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(body) - known)
        if unknown:
            raise FaultConfigError(f"Unknown fault keys: {', '.join(unknown)}")
        try:
            config = cls(**body)
        except TypeError as exc:  # pragma: no cover - dataclass rejects nothing else
            raise FaultConfigError(str(exc)) from exc
        if not 0 <= float(config.rate) <= 1:
            raise FaultConfigError("rate must be between 0 and 1")
        if config.status is not None and not 100 <= int(config.status) <= 599:
            raise FaultConfigError("status must be an HTTP status code")
        if config.count is not None and int(config.count) < 1:
            raise FaultConfigError("count must be at least 1")
        config._check_after_commit()
        return config

    def _check_after_commit(self) -> None:
        """Strict types here: ``"false"`` must not silently drop connections, ``True`` is no status code."""
        status = self.statusAfterCommit
        if status is not None and (type(status) is not int or not 500 <= status <= 599):
            raise FaultConfigError("statusAfterCommit must be a 5xx status code (500-599)")
        if not isinstance(self.dropAfterCommit, bool):
            raise FaultConfigError("dropAfterCommit must be true or false")
        if status is not None and self.dropAfterCommit:
            raise FaultConfigError("statusAfterCommit and dropAfterCommit exclude each other: a drop sends no status")

    @property
    def after_commit(self) -> bool:
        """True if this fault lets the request commit and then delays, replaces or drops its answer."""
        return bool(self.hangAfterCommitSeconds or self.statusAfterCommit or self.dropAfterCommit)

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def matches(self, method: str, path: str) -> bool:
        if path.startswith(ADMIN_PREFIX):
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return path.startswith(self.pathPrefix)


class FaultInjector:
    """Holds the active fault and decides per request; ``count`` is consumed only by requests it really hits."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._config: FaultConfig | None = None
        self._remaining: int | None = None
        self._lock = threading.Lock()

    @property
    def config(self) -> FaultConfig | None:
        with self._lock:
            return self._config

    def state(self) -> dict[str, Any]:
        with self._lock:
            if self._config is None:
                return {"active": False}
            return {"active": True, **self._config.to_json(), "remaining": self._remaining}

    def set(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._remaining = config.count

    def clear(self) -> None:
        with self._lock:
            self._config = None
            self._remaining = None

    def decide(self, method: str, path: str) -> FaultConfig | None:
        """Return the fault to apply to this request, or ``None`` to handle it normally."""
        with self._lock:
            config = self._config
            if config is None or not config.matches(method, path):
                return None
            if config.rate < 1 and self._rng.random() >= config.rate:
                return None
            if self._remaining is not None:
                self._remaining -= 1
                if self._remaining <= 0:
                    self._config = None
                    self._remaining = None
            return config
