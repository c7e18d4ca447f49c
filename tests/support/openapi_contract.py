"""Check HTTP traffic against the Cal.com OpenAPI subset, so the simulator and the client cannot drift from it.

The spec is found in this order: env ``CALCOM_OPENAPI_PATH``, the in-repo copy ``tests/contract/openapi-subset.json``
(what CI on a fresh clone uses), then the shared original at ``<repo>/../shared/calcom/openapi-subset.json``.
Its only server is ``https://api.cal.com``, so URLs are rewritten to that host before validation: the check is
about paths, parameters and bodies, not about where the simulator happens to listen.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

REPO_ROOT = Path(__file__).resolve().parents[2]
IN_REPO_SPEC = REPO_ROOT / "tests" / "contract" / "openapi-subset.json"
SHARED_SPEC = REPO_ROOT.parent / "shared" / "calcom" / "openapi-subset.json"
SPEC_SERVER = "https://api.cal.com"
# Set by the simulator on injected failures (HTML 502, broken JSON, NestJS 500 …): Cal.com never sends it, and those
# bodies are deliberately outside the contract.
FAULT_HEADER = "X-Sim-Fault"


def spec_path() -> Path:
    configured = os.environ.get("CALCOM_OPENAPI_PATH")
    if configured:
        return Path(configured)
    return IN_REPO_SPEC if IN_REPO_SPEC.exists() else SHARED_SPEC


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    spec: dict[str, Any] = json.loads(spec_path().read_text(encoding="utf-8"))
    servers = [server["url"] for server in spec.get("servers", [])]
    assert SPEC_SERVER in servers, f"expected {SPEC_SERVER} among the spec's servers, got {servers}"
    return OpenAPI.from_dict(spec)


def _as_spec_host(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    parts = urlsplit(prepared.url or "")
    server = urlsplit(SPEC_SERVER)
    rewritten = prepared.copy()
    rewritten.url = urlunsplit((server.scheme, server.netloc, parts.path, parts.query, ""))
    return rewritten


def validate_request(prepared: requests.PreparedRequest) -> None:
    """Raise ``AssertionError`` listing what in this request breaks the contract."""
    try:
        openapi().validate_request(RequestsOpenAPIRequest(_as_spec_host(prepared)))
    except Exception as exc:  # openapi-core raises a family of ValidationError/OpenAPIError classes
        raise AssertionError(f"request {prepared.method} {prepared.url} breaks the contract: {_describe(exc)}") from exc


def validate_response(prepared: requests.PreparedRequest, response: requests.Response) -> None:
    """Raise ``AssertionError`` if the response (status, headers, body) is not what the contract allows."""
    try:
        openapi().validate_response(RequestsOpenAPIRequest(_as_spec_host(prepared)), RequestsOpenAPIResponse(response))
    except Exception as exc:
        raise AssertionError(
            f"response {response.status_code} to {prepared.method} {prepared.url} breaks the contract: "
            f"{_describe(exc)}\nbody: {response.text[:2000]}"
        ) from exc


def _describe(exc: BaseException) -> str:
    details = [str(exc)]
    cause = exc.__cause__
    while cause is not None:
        details.append(str(cause))
        for error in getattr(cause, "schema_errors", []) or []:
            details.append(f"  - {'/'.join(str(p) for p in error.path)}: {error.message}")
        cause = cause.__cause__
    for error in getattr(exc, "schema_errors", []) or []:
        details.append(f"  - {'/'.join(str(p) for p in error.path)}: {error.message}")
    return "\n".join(details)


class ContractCheckingSession(requests.Session):
    """A ``requests.Session`` that validates every ``/v2`` request before sending and every answer after.

    Pass it to the Cal.com client in tests: a client that sends an undocumented field or forgets a required header
    fails right there, and so does a simulator response that Cal.com could not have produced.
    """

    def __init__(self, *, check_responses: bool = True) -> None:
        super().__init__()
        self.check_responses = check_responses
        self.checked: list[tuple[str, str, int]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        is_api = urlsplit(request.url or "").path.startswith("/v2")
        if is_api:
            validate_request(request)
        response = super().send(request, **kwargs)
        if is_api and self.check_responses and FAULT_HEADER not in response.headers:
            assert response.headers.get("X-Request-Id"), f"no X-Request-Id on {request.method} {request.url}"
            validate_response(request, response)
            self.checked.append((request.method or "", urlsplit(request.url or "").path, response.status_code))
        return response
