"""The user cache folder mediarules keeps things in between runs (fetched documents, the
validated rules table): ``$MEDIARULES_CACHE_DIR``, else the platform's own cache folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["FOLDER_VARIABLE", "user_cache_folder"]

FOLDER_VARIABLE = "MEDIARULES_CACHE_DIR"
"""Set to a folder to keep every cache there instead."""


def user_cache_folder(kind: str) -> Path:
    """The folder for one kind of entry (``documents``, ``rules``): ``$MEDIARULES_CACHE_DIR/kind``,
    else ``mediarules/kind`` in the user cache folder (``$XDG_CACHE_HOME`` or ``~/.cache`` on
    Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows)."""
    chosen = os.environ.get(FOLDER_VARIABLE)
    if chosen:
        return Path(chosen) / kind
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mediarules" / kind
