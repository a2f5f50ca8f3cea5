"""``mediarules serve``: bind the socket, then run uvicorn in this process or in workers.

The socket is bound here, before uvicorn starts, so that a port in use is one line and exit
2 like any other bad setting, and ``--port 0`` gets a free port whose number is logged (the
``listening`` line). uvicorn stops gracefully on SIGTERM or SIGINT: it takes no new
connection, lets the requests in progress finish (up to ``--timeout`` + 5 s), then runs each
worker's shutdown (running fixes end, every request folder is deleted).
"""

from __future__ import annotations

import logging.config
import math
import os
import shutil
import socket
import tempfile

import uvicorn
from uvicorn.supervisors import Multiprocess

from mediarules.ruleset import RuleSet
from mediarules.service.app import create_app
from mediarules.service.logs import LOG, log_config
from mediarules.service.metrics import MULTIPROCESS_VARIABLE
from mediarules.service.settings import SETTINGS_VARIABLE, Settings, SettingsError

__all__ = ["bind", "serve"]

APP_FACTORY = "mediarules.service.app:create_app"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (IPv4 or IPv6); ``SettingsError`` naming
    the address when it cannot be had (in use, not an address of this machine)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise SettingsError(f"cannot listen on {host}:{port}: {_reason(exc)}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise SettingsError(f"cannot listen on {host}:{port}: {_reason(exc)}") from None
    sock.set_inheritable(True)
    return sock


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def serve(settings: Settings, ruleset: RuleSet) -> None:
    """Run until stopped. The rules were loaded (and found good) by the caller."""
    logging.config.dictConfig(log_config())
    sock = bind(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    common = {
        "log_config": log_config(),
        "access_log": False,  # the service writes its own, as JSON
        "server_header": False,
        "lifespan": "on",
        "timeout_graceful_shutdown": math.ceil(settings.timeout_s) + 5,
        "timeout_keep_alive": 5,
    }
    LOG.info(
        "listening",
        extra={
            "fields": {
                "event": "listening",
                "url": f"http://{shown}:{port}",
                "pid": os.getpid(),
                "settings": {**settings.described, "port": port},
            }
        },
    )
    if settings.workers == 1:
        config = uvicorn.Config(create_app(settings, ruleset), **common)  # type: ignore[arg-type]
        uvicorn.Server(config).run(sockets=[sock])
        return
    metrics_dir = tempfile.mkdtemp(prefix="mediarules-metrics-")
    os.environ[SETTINGS_VARIABLE] = settings.to_json()
    os.environ[MULTIPROCESS_VARIABLE] = metrics_dir
    try:
        config = uvicorn.Config(
            APP_FACTORY,
            factory=True,
            workers=settings.workers,
            **common,  # type: ignore[arg-type]
        )
        Multiprocess(config, sockets=[sock]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
