"""Forwarded headers, Host names, WebSocket origins and the session cookie, against real
servers: forged forwarded headers, a forged Host and a DNS-rebinding page are refused or
ignored; a configured proxy is believed."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from tests._staff import PASSWORD, accounts, database
from tests.conftest import Server, make_config
from tests.web._staff_site import AT, COOKIE, StartServer

PUBLIC = "https://screens.example.org"


def audit_details(data: Path, action: str) -> list[str]:
    import contextlib
    import sqlite3

    with contextlib.closing(sqlite3.connect(database(data))) as conn:
        rows = conn.execute("SELECT detail FROM audit WHERE action = ? ORDER BY rowid", (action,))
        return [str(r[0]) for r in rows.fetchall()]


def server_with(
    start_server: StartServer, tmp_path: Path, settings: str = "", users: bool = True
) -> tuple[Server, Path]:
    data = tmp_path / "data"
    if users:
        accounts(data, users=(("alice", "chair", "cr4"), ("bob", "chair", "cr4")))
    config = make_config(tmp_path / "config", files={"settings.toml": settings})
    return start_server(at=AT, config=config, data=data), data


def cookie_parts(response: httpx.Response) -> list[str]:
    return [p.strip().lower() for p in response.headers["set-cookie"].split(";")]


def raw_handshake(server: Server, host: str, origin: str) -> bytes:
    """A WebSocket handshake with the Host and Origin a browser on another page would send;
    the status line answered."""
    request = (
        f"GET /ws/display/cr4 HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).split(b"\r\n", 1)[0]


def test_forwarded_headers_from_anyone_else_are_ignored(
    start_server: StartServer, tmp_path: Path
) -> None:
    """No trusted_proxies: a local peer forging X-Forwarded-For / Forwarded / -Proto changes
    neither the address the audit trail records nor the cookie's Secure flag."""
    server, data = server_with(start_server, tmp_path)
    forged = {
        "x-forwarded-for": "203.0.113.9",
        "forwarded": "for=203.0.113.9;proto=https",
        "x-forwarded-proto": "https",
    }
    with httpx.Client(base_url=server.url, timeout=10, headers=forged) as client:
        response = client.post("/chair/login", data={"name": "alice", "password": PASSWORD})
    assert response.status_code == 303
    assert "secure" not in cookie_parts(response)
    assert cookie_parts(response)[0].startswith(f"{COOKIE}=")
    assert audit_details(data, "login") == ["127.0.0.1"]
    # Nor do forged addresses escape login throttling: five failures "from" five addresses
    # are five failures from this one.
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for i in range(5):
            forged = {"x-forwarded-for": f"203.0.113.{i}", "forwarded": f"for=203.0.113.{i}"}
            wrong = {"name": "bob", "password": f"guess-{i:04}"}
            assert client.post("/chair/login", data=wrong, headers=forged).status_code == 401
        right = {"name": "bob", "password": PASSWORD}
        forged = {"x-forwarded-for": "198.51.100.1"}
        assert client.post("/chair/login", data=right, headers=forged).status_code == 429


def test_a_trusted_proxy_is_believed(start_server: StartServer, tmp_path: Path) -> None:
    """trusted_proxies = ["127.0.0.1"]: its Forwarded (RFC 7239) and X-Forwarded-* headers
    give the client's address and scheme; behind TLS the cookie is __Host- and Secure, and the
    logout deletes that same cookie.  Another local peer (127.0.0.2) is still not believed."""
    server, data = server_with(start_server, tmp_path, 'trusted_proxies = ["127.0.0.1"]\n')
    tls = {"forwarded": 'for="[2001:db8::7]:4711";proto=https;by=127.0.0.1'}
    with httpx.Client(base_url=server.url, timeout=10, headers=tls) as client:
        response = client.post("/chair/login", data={"name": "alice", "password": PASSWORD})
        assert response.status_code == 303
        parts = cookie_parts(response)
        assert parts[0].startswith(f"__host-{COOKIE}=")
        assert {"secure", "httponly", "samesite=strict", "path=/"} <= set(parts)
        assert not any(p.startswith("domain") for p in parts)
        secret = response.cookies[f"__Host-{COOKIE}"]
        page = client.get("/chair", headers={"cookie": f"__Host-{COOKIE}={secret}"})
        assert "Logged in as alice" in page.text
        # Over plain http the __Host- cookie is not the session's.
        plain = client.get(
            "/chair", headers={"cookie": f"__Host-{COOKIE}={secret}", "forwarded": "proto=http"}
        )
        assert "Logged in as alice" not in plain.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        out = client.post(
            "/chair/logout",
            headers={"cookie": f"__Host-{COOKIE}={secret}", "x-csrf-token": csrf},
        )
        assert out.status_code == 303
        deleted = cookie_parts(out)
        assert deleted[0] == f"__host-{COOKIE}=" or deleted[0].startswith(f'__host-{COOKIE}=""')
        assert {"secure", "httponly", "samesite=strict", "path=/", "max-age=0"} <= set(deleted)
    chain = {"x-forwarded-for": "198.51.100.1, 127.0.0.1", "x-forwarded-proto": "https"}
    with httpx.Client(base_url=server.url, timeout=10, headers=chain) as client:
        assert (
            client.post("/chair/login", data={"name": "bob", "password": PASSWORD}).status_code
            == 303
        )
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    forged = {"x-forwarded-for": "203.0.113.9"}
    with httpx.Client(
        base_url=server.url, timeout=10, headers=forged, transport=transport
    ) as client:
        assert (
            client.post("/chair/login", data={"name": "bob", "password": PASSWORD}).status_code
            == 303
        )
    assert audit_details(data, "login") == ["2001:db8::7", "198.51.100.1", "127.0.0.2"]


def test_the_plain_http_logout_deletes_the_cookie_as_set(
    start_server: StartServer, tmp_path: Path
) -> None:
    server, _ = server_with(start_server, tmp_path)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.post("/chair/login", data={"name": "alice", "password": PASSWORD})
        page = client.get("/chair")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        out = client.post("/chair/logout", headers={"x-csrf-token": csrf})
    deleted = cookie_parts(out)
    assert deleted[0].startswith(f"{COOKIE}=")
    assert {"httponly", "samesite=strict", "path=/", "max-age=0"} <= set(deleted)
    assert "secure" not in deleted


def test_a_forged_host_is_refused(start_server: StartServer, tmp_path: Path) -> None:
    """With public_url set, a Host of someone else's is answered 400: it never reaches a
    redirect's Location nor the display's QR code."""
    server, _ = server_with(start_server, tmp_path, f'public_url = "{PUBLIC}"\n', users=False)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for path in ("/display/cr4/", "/display/cr4", "/"):
            forged = client.get(path, headers={"host": "evil.example"})
            assert forged.status_code == 400, path
            assert "evil.example" not in forged.headers.get("location", "")
        own = client.get("/display/cr4/", headers={"host": "screens.example.org"})
        assert own.status_code in (307, 308)
        assert own.headers["location"].startswith("http://screens.example.org/")
        page = client.get("/display/cr4")
        assert page.status_code == 200
        assert f"{PUBLIC}/rooms/cr4" in page.text
        assert client.get("/healthz").status_code == 200


def test_allowed_hosts_are_the_only_ones(start_server: StartServer, tmp_path: Path) -> None:
    settings = 'allowed_hosts = ["127.0.0.1", "*.example.org"]\n'
    server, _ = server_with(start_server, tmp_path, settings, users=False)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/display/cr4").status_code == 200
        assert client.get("/", headers={"host": "lobby.example.org"}).status_code == 200
        assert client.get("/", headers={"host": "localhost"}).status_code == 400
        assert client.get("/", headers={"host": "example.org.evil.example"}).status_code == 400


def test_a_dns_rebinding_page_cannot_open_a_websocket(
    start_server: StartServer, tmp_path: Path
) -> None:
    """A page at evil.example whose name was rebound to this server sends Host and Origin
    both evil.example: the Origin must be a configured one, not whatever Host says."""
    server, _ = server_with(start_server, tmp_path, users=False)
    port = server.port
    evil = f"evil.example:{port}"
    assert b" 403 " in raw_handshake(server, evil, f"http://{evil}")
    # Local development: a page served from this server's own address still connects.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert b" 101 " in raw_handshake(server, host, f"http://{host}"), host


def test_the_public_origin_may_open_websockets(start_server: StartServer, tmp_path: Path) -> None:
    settings = f'public_url = "{PUBLIC}"\nallowed_hosts = ["*"]\n'
    server, _ = server_with(start_server, tmp_path, settings, users=False)
    assert b" 101 " in raw_handshake(server, "screens.example.org", PUBLIC)
    assert b" 403 " in raw_handshake(server, "evil.example", "http://evil.example")


def test_start_up_warns_when_public_url_is_unset(start_server: StartServer, tmp_path: Path) -> None:
    server, _ = server_with(start_server, tmp_path, users=False)
    assert "public_url is not set" in server.output()


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ('trusted_proxies = ["10.0.0.300"]\n', "trusted_proxies"),
        ('allowed_hosts = ["ex*ample.org"]\n', "allowed_hosts"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, settings: str, words: str) -> None:
    from tests._staff import cli

    config = make_config(tmp_path / "config", files={"settings.toml": settings})
    result = cli("audit", "verify", "--config", str(config), data=tmp_path / "data")
    assert result.returncode == 1, result
    assert words in result.stderr and "Traceback" not in result.stderr
