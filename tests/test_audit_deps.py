"""The dependency audit of scripts/test.sh: it runs pip-audit only where a vulnerability
database really answers, and otherwise skips with a clear message, never failing CI offline."""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.conftest import ROOT, free_port

SCRIPT = ROOT / "scripts" / "audit_deps.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_offline_the_audit_is_skipped_with_a_reason() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "DASHBOARD_AUDIT_PYPI": closed, "DASHBOARD_AUDIT_OSV": closed}
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "dependency audit: SKIPPED" in result.stdout
    assert "no vulnerability database answers" in result.stdout


@pytest.fixture
def fake_pypi() -> Iterator[str]:
    """A local stand-in for PyPI's per-release JSON API, with one advisory for the probe."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"vulnerabilities": [{"id": "PYSEC-0000-0"}]}).encode()
            found = self.path.endswith("/jinja2/3.1.2/json")
            self.send_response(200 if found else 404)
            self.end_headers()
            self.wfile.write(body if found else b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/pypi"
    finally:
        server.shutdown()


def test_a_database_is_believed_only_if_it_knows_the_probe_advisories(
    fake_pypi: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = load_script()
    monkeypatch.setattr(script, "PYPI", fake_pypi)
    assert script.pypi_answers()
    monkeypatch.setattr(script, "PROBE", ("jinja2", "9.9.9"))  # 404: like these machines' PyPI
    assert not script.pypi_answers()
