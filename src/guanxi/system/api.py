"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from guanxi import __version__
from guanxi.deps import RuntimeDep
from guanxi.migrate import at_head

router = APIRouter(tags=["system"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is alive."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", responses={503: {"description": "Not ready"}})
def readyz(runtime: RuntimeDep):
    """The database answers and its schema is at the newest migration."""
    checks = {"database": "ok", "migrations": "ok"}
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if not at_head(runtime.engine):
            checks["migrations"] = "behind: run `guanxi migrate`"
    except Exception as exc:  # any failure here means "not ready", with the reason
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)
