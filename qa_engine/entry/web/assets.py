"""Where the pages' front-end packages are: govuk-frontend (CSS, JS, images) and
axe-core (for the browser tests), installed from the npm registry by
``python3 run.py setup`` into ``<venv>/share/qa-engine/node_modules`` (or
``QA_FRONTEND_DIR``). Nothing of them is committed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["frontend_dir", "node_modules"]


def node_modules() -> Path:
    return Path(os.environ.get("QA_FRONTEND_DIR") or Path(sys.prefix) / "share" / "qa-engine") / (
        "node_modules"
    )


def frontend_dir() -> Path | None:
    """govuk-frontend's built files (``govuk-frontend.min.css`` ...), if installed."""
    found = node_modules() / "govuk-frontend" / "dist" / "govuk"
    return found if (found / "govuk-frontend.min.css").exists() else None
