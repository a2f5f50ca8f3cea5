"""Which hosts a URL taken from user input may reach (server-side request forgery).

Only ``http``, ``https`` and ``s3`` are fetched. A host is resolved first and refused when
any of its addresses is not a public unicast one: loopback (127/8, ::1), private (10/8,
172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata service at
169.254.169.254, fe80::/10), multicast, shared, reserved or unspecified addresses. The check
runs when each connection is made (:class:`GuardedBackend`), to the address that was checked,
so a redirect to another host or a DNS answer that changes between the check and the connect
(rebinding) is caught too. ``allow_hosts`` names the exceptions: host names, addresses or
networks (``127.0.0.1``, ``minio.internal``, ``10.0.0.0/8``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore

from mediarules.formatting import echo

__all__ = ["GuardedBackend", "HostPolicy", "RefusedError"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_METADATA = {
    ipaddress.ip_address("169.254.169.254"): "the cloud metadata service",
    ipaddress.ip_address("fd00:ec2::254"): "the cloud metadata service",
    ipaddress.ip_address("100.100.100.200"): "the cloud metadata service",
}


class RefusedError(Exception):
    """A URL mediarules will not fetch: its scheme, or where its host resolves."""


class HostPolicy:
    """The refusal rules and the caller's exceptions to them."""

    def __init__(self, allow_hosts: Iterable[str] = ()) -> None:
        self._names: set[str] = set()
        self._networks: list[Network] = []
        for entry in allow_hosts:
            text = entry.strip().lower().strip("[]").rstrip(".")
            try:
                self._networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                self._names.add(text)

    def allows_name(self, host: str) -> bool:
        return host.lower().strip("[]").rstrip(".") in self._names

    def vet(self, host: str, address: Address) -> None:
        """Raise :class:`RefusedError` unless ``address`` (of ``host``) may be reached."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        why = _why_blocked(address)
        if why is None or self.allows_name(host):
            return
        if any(address in network for network in self._networks):
            return
        shown = echo(host)
        named = f"{shown} resolves to {address}" if shown != str(address) else str(address)
        raise RefusedError(f"{named}, {why}: not fetched (allow it with --allow-host {shown})")

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` to connect to, every one of them vetted."""
        try:
            literal: Address | None = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            self.vet(host, literal)
            return [str(literal)]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {echo(host)} ({exc})") from exc
        found: list[str] = []
        for info in infos:
            text = str(info[4][0]).split("%", 1)[0]  # an IPv6 zone index
            self.vet(host, ipaddress.ip_address(text))
            if text not in found:
                found.append(text)
        if not found:
            raise httpcore.ConnectError(f"cannot resolve {echo(host)} (no address)")
        return found


def _why_blocked(address: Address) -> str | None:
    if address in _METADATA:
        return _METADATA[address]
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting only to vetted addresses of a host (TLS still
    names and verifies the host itself)."""

    def __init__(self, policy: HostPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self._policy.resolve(host, port):
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:  # the next address, as browsers do
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise RefusedError("unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
