"""Property tests of every endpoint from the service's own ``/openapi.json`` (schemathesis):
bodies, forms, paths and queries drawn from the document, valid and invalid, sent to a real
server. No answer is a 5xx, and every answer fits what the document says of it (status,
content type, headers, schema): the document is right, and bad input is always a 4xx.

``MEDIARULES_SCHEMA_EXAMPLES`` sets the examples per operation (default 25).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.service_process import ServiceProcess, running

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import checks as conformance  # noqa: E402

EXAMPLES = int(os.environ.get("MEDIARULES_SCHEMA_EXAMPLES", "25"))
CHECKS = [
    conformance.not_a_server_error,
    conformance.status_code_conformance,
    conformance.content_type_conformance,
    conformance.response_headers_conformance,
    conformance.response_schema_conformance,
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    with running(["--max-body", "2MB"], tmp=tmp_path_factory.mktemp("schema-serve")) as process:
        yield process


def _operations() -> list[tuple[str, str]]:
    """(path, method) of every operation the document describes, from the app itself (the
    test then reads the document the running server serves)."""
    from mediarules.service.app import create_app

    document = create_app().openapi()
    return [
        (path, method.upper()) for path, methods in document["paths"].items() for method in methods
    ]


@pytest.fixture(scope="module")
def api_schema(service: ServiceProcess) -> Any:
    return schemathesis.openapi.from_url(f"{service.url}/openapi.json")


@pytest.mark.parametrize(("path", "method"), _operations())
def test_no_server_error_and_every_answer_fits_the_document(
    api_schema: Any, path: str, method: str
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)  # fmt: skip
    def call(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    call()


def test_nothing_is_left_behind(service: ServiceProcess) -> None:
    """After all of that, no request folder remains and the log is all JSON lines."""
    assert service.wait_for_no_request_folders() == []
    records = service.records()
    assert not [r for r in records if r["level"] in ("error", "critical")], records[-5:]
    assert Path(service.tmp).is_dir()
