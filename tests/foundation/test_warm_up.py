"""`guanxi serve` builds every route's state before the first request (guanxi.app.warm_routes)."""

from __future__ import annotations

import pytest
from fastapi import routing

from guanxi.app import create_app, warm_routes

built = getattr(routing, "_EffectiveRouteContext", None)
needs_lazy_routes = pytest.mark.skipif(built is None, reason="this FastAPI builds route state eagerly")


def _count_builds(monkeypatch) -> list[int]:
    calls = [0]
    original = built.from_api_route.__func__

    def counting(cls, *args, **kwargs):
        calls[0] += 1
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(built, "from_api_route", classmethod(counting))
    return calls


@needs_lazy_routes
def test_without_warm_up_the_first_request_builds_the_routes(runtime, monkeypatch):
    from fastapi.testclient import TestClient

    calls = _count_builds(monkeypatch)
    with TestClient(create_app(runtime=runtime)) as client:
        assert client.get("/api/v1/social/mentions").status_code == 401
    assert calls[0] > 50   # the check below would pass for nothing if FastAPI stopped building lazily


@needs_lazy_routes
def test_after_warm_up_a_request_builds_nothing_and_is_answered(runtime, monkeypatch, auth):
    from fastapi.testclient import TestClient

    app = create_app(runtime=runtime)
    assert warm_routes(app) == 404
    calls = _count_builds(monkeypatch)
    with TestClient(app) as client:
        assert client.get("/api/v1/social/mentions").status_code == 401
        assert client.get("/api/v1/audit", headers=auth("admin")).status_code == 200
    assert calls[0] == 0
