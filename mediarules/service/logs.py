"""JSON log lines on standard error: one object per line, for journald, Docker or Loki.

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; an access line
(logger ``mediarules.access``) adds ``method``, ``path``, ``route``, ``status``,
``duration_ms``, ``request_id`` and ``client``. A traceback is the ``exception`` field of its
line, never lines of its own. Queries, bodies and API keys are never logged.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

__all__ = ["ACCESS", "LOG", "JsonFormatter", "log_config"]

LOG = logging.getLogger("mediarules.service")
ACCESS = logging.getLogger("mediarules.access")

FIELDS_ATTRIBUTE = "fields"
"""``logger.info(message, extra={"fields": {...}})``: the fields added to the line."""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return (
            json.dumps(line, ensure_ascii=False, default=str)
            .encode("utf-8", "backslashreplace")
            .decode("utf-8")
        )


def log_config(level: str = "info") -> dict[str, Any]:
    """``logging.config.dictConfig`` for uvicorn and the service: everything as JSON lines on
    standard error (uvicorn's own access log is off: the service writes its own)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "mediarules": {"handlers": ["stderr"], "level": upper, "propagate": False},
        },
    }
