"""`/metrics` and the health probes. Internal: Caddy answers 404 for them on the public host."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status
from fastapi.responses import JSONResponse

from bridge.deps import SessionDep, SettingsDep
from bridge.observability.health import readiness_checks, run_checks
from bridge.observability.metrics import QueueLengthCollector, SubmissionsCollector, render
from bridge.submissions import service as submissions

router = APIRouter(tags=["observability"])


@router.get("/metrics", include_in_schema=False)
def metrics(session: SessionDep, settings: SettingsDep,
            accept: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus exposition. Callers: Prometheus on the internal network only."""
    def count_by_status() -> dict[str, int]:
        try:
            return submissions.count_by_status(session)
        except Exception:
            session.rollback()  # the request's dependency still commits the (empty) session
            raise

    body, content_type = render(
        accept,
        SubmissionsCollector(count_by_status),
        QueueLengthCollector(settings.broker_url, settings.health_check_timeout_s),
    )
    return Response(body, media_type=content_type)


@router.get("/health/live")
def live() -> dict[str, str]:
    """Liveness: the process answers. Anyone on the internal network may call."""
    return {"status": "ok"}


@router.get("/health/ready", responses={503: {"description": "a dependency is unavailable"}})
async def ready(settings: SettingsDep) -> JSONResponse:
    """Readiness: the database, Redis and (if configured) Docker answer; 503 names what failed."""
    results = await run_checks(readiness_checks(settings), settings.health_check_timeout_s)
    failed = [r.name for r in results if not r.ok]
    body: dict[str, Any] = {
        "status": "unavailable" if failed else "ready",
        "checks": {r.name: {"ok": r.ok, "duration_ms": r.duration_ms,
                            **({"error": r.error} if r.error else {})} for r in results},
    }
    if failed:
        body["failed"] = failed
    code = status.HTTP_503_SERVICE_UNAVAILABLE if failed else status.HTTP_200_OK
    return JSONResponse(body, status_code=code)
