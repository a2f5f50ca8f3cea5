"""What one worker process of the service holds from start to stop."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from starlette.requests import Request

from mediarules.ruleset import RuleSet
from mediarules.service.metrics import Metrics
from mediarules.service.settings import Settings
from mediarules.service.work import Gate, Jobs

__all__ = ["FIX_SLOTS", "Service", "service_of"]

FIX_SLOTS = 2
"""Fixes carried out at once per worker: each may decode up to 768 MiB (``fixes``' budget)."""


class Service:
    def __init__(self, settings: Settings, ruleset: RuleSet) -> None:
        self.settings = settings
        self.ruleset = ruleset
        """Loaded once, at start (``--rules``, ``--mastodon-instance``,
        ``--tiktok-creator-info``); every request is checked against it."""
        self.metrics = Metrics()
        self.gate = Gate(settings.max_concurrent)
        self.fix_slots = threading.BoundedSemaphore(FIX_SLOTS)
        self.jobs: Jobs | None = None
        self._scratch: Path | None = None
        self.ready = False
        self.rules_json: dict[str, Any] | None = None

    def start(self) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="mediarules-serve-"))
        self.jobs = Jobs(self.settings.max_concurrent)
        self.ready = True

    def stop(self) -> None:
        self.ready = False
        if self.jobs is not None:
            self.jobs.shutdown()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        self.metrics.process_ended()

    def scratch_base(self) -> Path:
        """The folder under which each request gets its own (made at start, 0700)."""
        if self._scratch is None:
            self.start()
        assert self._scratch is not None
        return self._scratch

    def job_pool(self) -> Jobs:
        if self.jobs is None:
            self.start()
        assert self.jobs is not None
        return self.jobs


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service
