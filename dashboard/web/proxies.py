"""Who the peer really is, and which names and origins this server answers to.

- Forwarded headers (``Forwarded:`` of RFC 7239, else ``X-Forwarded-For``/``-Proto``) are read
  only when the connection comes from one of ``trusted_proxies`` (settings.toml): from anyone
  else they are ignored, so nobody can forge the address the audit trail and login throttling
  see, or make the server believe it is behind TLS.
- The Host header is checked against ``allowed_hosts`` (Starlette's TrustedHostMiddleware);
  the default is ``public_url``'s host plus the loopback names, or any host when ``public_url``
  is unset (local development; the server warns at start-up).
- A browser's Origin on a WebSocket must be ``public_url``'s origin, one of
  ``allowed_origins``, or this server's own address when the page was reached by an IP address
  or ``localhost``.  Never a DNS name taken from the request's own Host header: that is what a
  DNS-rebinding page sends.  (The console's state changes may also come from the page's own
  Host: they need the session cookie, which the browser keeps for the real host only.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette._utils import parse_host_header
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # "[2001:db8::1]:4711"
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # "192.0.2.1:4711"
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None  # "unknown", an obfuscated identifier, garbage


def _split_quoted(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def forwarded_hops(headers: Headers) -> list[tuple[str | None, str | None]]:
    """(for, proto) of each hop, nearest the client first: from ``Forwarded:`` if there is one,
    else from ``X-Forwarded-For`` with ``X-Forwarded-Proto`` given to the last hop."""
    forwarded = headers.getlist("forwarded")
    if forwarded:
        hops: list[tuple[str | None, str | None]] = []
        for element in _split_quoted(",".join(forwarded), ","):
            pairs: dict[str, str] = {}
            for pair in _split_quoted(element, ";"):
                key, _, value = pair.partition("=")
                pairs[key.strip().lower()] = value.strip().strip('"')
            hops.append((pairs.get("for"), pairs.get("proto")))
        return hops
    addresses = [a for value in headers.getlist("x-forwarded-for") for a in value.split(",")]
    protos = [p.strip() for value in headers.getlist("x-forwarded-proto") for p in value.split(",")]
    hops = [(a.strip(), None) for a in addresses if a.strip()]
    if protos and protos[-1]:
        if hops:
            hops[-1] = (hops[-1][0], protos[-1])
        else:
            hops = [(None, protos[-1])]
    return hops


class ForwardedMiddleware:
    """Sets the scope's client address and scheme from forwarded headers, when (and only when)
    the peer is a trusted proxy.  The client is the nearest hop that is not itself a trusted
    proxy; the scheme is what the proxy nearest us says."""

    def __init__(self, app: ASGIApp, trusted: tuple[Network, ...]) -> None:
        self.app = app
        self.trusted = trusted

    def _is_trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if (
            self.trusted
            and scope["type"] in ("http", "websocket")
            and client
            and self._is_trusted(_address(str(client[0])))
        ):
            hops = forwarded_hops(Headers(scope=scope))
            if hops:
                proto = (hops[-1][1] or "").lower()
                if proto in ("http", "https"):
                    secure = proto == "https"
                    if scope["type"] == "websocket":
                        scope["scheme"] = "wss" if secure else "ws"
                    else:
                        scope["scheme"] = proto
                for node, _ in reversed(hops):
                    address = _address(node or "")
                    if address is None:
                        break  # "unknown" or garbage: keep the proxy's own address
                    scope["client"] = (str(address), 0)
                    if not self._is_trusted(address):
                        break
        await self.app(scope, receive, send)


def _is_address_or_localhost(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def origin_allowed(origin: str, host_header: str | None, allowed: Iterable[str]) -> bool:
    """Whether a browser's ``origin`` may act on this server: one of the configured origins
    (``allowed``: public_url's origin and allowed_origins), or this server's own address as the
    request reached it, only when that is an IP address or localhost (a DNS name in the Host
    header may be an attacker's, rebound to this server)."""
    origin = origin.rstrip("/").lower()
    if origin in {o.rstrip("/").lower() for o in allowed if o}:
        return True
    parsed = parse_host_header(host_header)
    if parsed is None or not _is_address_or_localhost(parsed.host.lower()):
        return False
    host = (host_header or "").lower()
    return origin in (f"http://{host}", f"https://{host}")
