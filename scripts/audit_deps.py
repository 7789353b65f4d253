"""Audit the installed dependencies for known vulnerabilities, when an audit database answers.

pip-audit asks PyPI's per-release JSON API (``/pypi/NAME/VERSION/json``, its ``vulnerabilities``)
or OSV.  Where neither answers (these build machines reach a PyPI that serves packages but not
that API, and not OSV), pip-audit would report every package as "not found" and pass: so this
first probes both with a release known to have advisories, and skips, saying why, when neither
gives them.  When one does, pip-audit is installed into the venv if need be and run against the
installed environment (the project itself, editable, is skipped); a vulnerability fails the run.

    .venv/bin/python scripts/audit_deps.py            # what scripts/test.sh runs
    DASHBOARD_AUDIT=off .venv/bin/python scripts/audit_deps.py   # skip on purpose
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

# A release with published advisories: a database that knows none of them is not answering.
PROBE = ("jinja2", "3.1.2")
PYPI = os.environ.get("DASHBOARD_AUDIT_PYPI", "https://pypi.org/pypi")
OSV = os.environ.get("DASHBOARD_AUDIT_OSV", "https://api.osv.dev/v1/query")
TIMEOUT = 10


def pypi_answers() -> bool:
    name, version = PROBE
    try:
        with urllib.request.urlopen(f"{PYPI}/{name}/{version}/json", timeout=TIMEOUT) as r:  # noqa: S310
            return bool(json.loads(r.read()).get("vulnerabilities"))
    except (OSError, ValueError):
        return False


def osv_answers() -> bool:
    name, version = PROBE
    query = {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
    request = urllib.request.Request(  # noqa: S310
        OSV, data=json.dumps(query).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as r:  # noqa: S310
            return bool(json.loads(r.read()).get("vulns"))
    except (OSError, ValueError):
        return False


def main() -> int:
    if os.environ.get("DASHBOARD_AUDIT") == "off":
        print("dependency audit: skipped (DASHBOARD_AUDIT=off)")
        return 0
    service = "pypi" if pypi_answers() else "osv" if osv_answers() else None
    if service is None:
        print(
            "dependency audit: SKIPPED: no vulnerability database answers from this machine"
            f" (PyPI's {PYPI}/NAME/VERSION/json and OSV's {OSV} gave no advisories for"
            f" {PROBE[0]} {PROBE[1]}); run scripts/audit_deps.py where one is reachable"
        )
        return 0
    venv = Path(sys.executable).parent
    audit = venv / "pip-audit"
    if not audit.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pip-audit"], check=True)
    print(f"dependency audit: pip-audit against {service}")
    return subprocess.run(  # noqa: S603 - our own venv's pip-audit
        [
            str(audit),
            "--vulnerability-service",
            service,
            "--skip-editable",
            "--progress-spinner",
            "off",
        ],
        check=False,
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
