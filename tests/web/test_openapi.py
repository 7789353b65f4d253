"""``GET /api/openapi.json`` kept true: a valid OpenAPI 3.1 document (openapi-spec-validator),
naming every /api route with its methods and no path that is not a route, and real answers of
a real server valid against the schemas it documents (jsonschema)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.routing import Route

from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests._staff import accounts, bearer
from tests.conftest import Server, make_config, spawn_server, stop_server

AT = "2023-12-13T10:30:00"  # Wednesday's morning meeting under way


@dataclass(frozen=True)
class Documented:
    server: Server
    spec: dict[str, Any]
    token: str
    config: Path

    def check(self, response: httpx.Response, path: str, method: str = "get") -> None:
        """The answer is one the document gives for this path, method and status, and its body
        is valid against that answer's schema."""
        answers = self.spec["paths"][path][method]["responses"]
        status = str(response.status_code)
        assert status in answers, f"{method.upper()} {path}: {status} is not documented"
        schema = answers[status]["content"]["application/json"]["schema"]
        registry = Registry().with_resource(
            "urn:api", Resource.from_contents(self.spec, default_specification=DRAFT202012)
        )
        if "$ref" in schema:
            schema = {"$ref": "urn:api" + schema["$ref"]}
        else:
            schema = json.loads(json.dumps(schema).replace('"#/components', '"urn:api#/components'))
        validator = Draft202012Validator(schema, registry=registry)
        errors = sorted(validator.iter_errors(response.json()), key=str)
        assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(
            f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
        )


@pytest.fixture(scope="module")
def documented(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Documented]:
    folder = tmp_path_factory.mktemp("openapi")
    config = make_config(folder / "config")
    data = folder / "data"
    tokens = accounts(data, tokens=(("office", "secretariat", None),))
    server = spawn_server(config, data, folder / "server.log", at=AT)
    try:
        spec = httpx.get(f"{server.url}/api/openapi.json", timeout=10).json()
        yield Documented(server, spec, tokens["office"], config)
    finally:
        stop_server(server)


def test_the_document_is_valid_openapi(documented: Documented) -> None:
    validate_spec(documented.spec)
    assert documented.spec["openapi"].startswith("3.1")


def routes_of(config: Path, data: Path) -> set[tuple[str, str]]:
    """(path, method) of every HTTP route of the app, as Starlette routes them."""
    app = create_app(Settings.load(config, data_dir=data))
    try:
        found = set()
        for route in app.routes:
            if isinstance(route, Route) and route.methods:
                found |= {(route.path, m.lower()) for m in route.methods if m != "HEAD"}
        return found
    finally:
        asyncio.run(app.state.store.close())


def test_every_api_route_is_documented_and_every_documented_path_is_a_route(
    documented: Documented, tmp_path: Path
) -> None:
    routes = routes_of(documented.config, tmp_path / "data")
    api = {(p, m) for p, m in routes if p.startswith("/api/")}
    described = {
        (path, method)
        for path, operations in documented.spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert api - described == set(), "routes not in /api/openapi.json"
    assert described - routes == set(), "documented, but no such route"


def test_the_schemas_are_json_schema(documented: Documented) -> None:
    for schema in documented.spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises, naming what is wrong


def test_real_answers_match_the_document(documented: Documented) -> None:
    token = bearer(documented.token)
    with httpx.Client(base_url=documented.server.url, timeout=10) as client:
        documented.check(client.get("/api/rooms"), "/api/rooms")
        documented.check(client.get("/api/rooms/cr4/now"), "/api/rooms/{room}/now")
        documented.check(client.get("/api/rooms/nowhere/now"), "/api/rooms/{room}/now")
        slots = client.get("/api/rooms/cr4/slots", params={"date": "2023-12-13"})
        assert slots.json()["slots"], "a day with meetings"
        documented.check(slots, "/api/rooms/{room}/slots")
        bad = client.get("/api/rooms/cr4/slots", params={"date": "13/12"})
        assert bad.status_code == 400
        documented.check(bad, "/api/rooms/{room}/slots")
        documented.check(client.get("/api/programme"), "/api/programme")
        documented.check(client.get("/api/time"), "/api/time")
        documented.check(client.get("/healthz"), "/healthz")
        sent = client.post(
            "/api/overrides",
            content=json.dumps({"room": "cr4", "kind": "late", "minutes": 10, "slot": None}),
            headers={"content-type": "application/json", **token},
        )
        assert sent.status_code == 201, sent.text
        documented.check(sent, "/api/overrides", "post")
        refused = client.post(
            "/api/overrides",
            content=json.dumps({"room": "cr4", "kind": "late", "minutes": "ten"}),
            headers={"content-type": "application/json", **token},
        )
        documented.check(refused, "/api/overrides", "post")
        listed = client.get("/api/overrides", params={"room": "cr4", "all": "1"}, headers=token)
        assert listed.json()["overrides"]
        documented.check(listed, "/api/overrides")
        documented.check(client.get("/api/overrides", params={"room": "cr4"}), "/api/overrides")
        reload = client.post("/api/programme/reload", params={"dry_run": "1"}, headers=token)
        documented.check(reload, "/api/programme/reload", "post")


def test_a_request_the_document_allows_is_one_the_server_takes(documented: Documented) -> None:
    """The request schema refuses what the server refuses for its shape (an unknown field)."""
    spec = documented.spec
    registry = Registry().with_resource(
        "urn:api", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    validator = Draft202012Validator(
        {"$ref": "urn:api#/components/schemas/OverrideRequest"}, registry=registry
    )
    assert validator.is_valid({"room": "cr4", "kind": "pointer", "text": "Item 5"})
    assert not validator.is_valid({"room": "cr4", "kind": "pointer", "colour": "red"})
    assert not validator.is_valid({"room": "cr4", "kind": "snooze"})
