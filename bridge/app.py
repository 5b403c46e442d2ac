"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from bridge import __doc__ as description
from bridge import __version__
from bridge.auth.endpoints import router as auth_router
from bridge.body_limit import BodyLimitMiddleware
from bridge.config import get_settings
from bridge.delivery.endpoints import router as deliveries_router
from bridge.exercises.endpoints import router as exercises_router
from bridge.history.endpoints import router as history_router
from bridge.intake.endpoints import intake as intake_router
from bridge.intake.endpoints import operators as intake_operators_router
from bridge.intake.refetch_endpoints import operators as refetch_operators_router
from bridge.intake.refetch_endpoints import signed as refetch_signed_router
from bridge.intake.state_endpoints import router as intake_states_router
from bridge.intake.teacher_endpoints import router as teacher_router
from bridge.observability.endpoints import router as observability_router
from bridge.observability.logs import configure_logging
from bridge.observability.middleware import RequestContextMiddleware
from bridge.results.endpoints import router as results_router
from bridge.submissions.endpoints import router as submissions_router


def create_app() -> FastAPI:
    """Build the bridge application with every domain's router."""
    app = FastAPI(title="Moodle Bridge", version=__version__, description=description or "")
    app.include_router(auth_router)
    app.include_router(exercises_router)
    app.include_router(submissions_router)
    app.include_router(intake_router)
    app.include_router(intake_operators_router)
    app.include_router(teacher_router)
    app.include_router(refetch_operators_router)
    app.include_router(refetch_signed_router)
    app.include_router(intake_states_router)
    app.include_router(deliveries_router)
    app.include_router(history_router)
    app.include_router(results_router)
    app.include_router(observability_router)
    # Outermost last: the request id and access log wrap the body limit, which wraps the routes
    # (and so every credential check).
    app.add_middleware(BodyLimitMiddleware, max_bytes=lambda: get_settings().max_request_bytes)
    app.add_middleware(RequestContextMiddleware)

    @app.exception_handler(OperationalError)
    def database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        """The database is down or restarting: nothing was committed, so retrying is safe.

        A 503 with Retry-After tells the plugin's retry path and any client to come back,
        where a bare 500 reads as a bug; the driver's message (host, user) is never echoed.
        """
        return JSONResponse({"error": "database_unavailable",
                             "detail": "the database is unavailable; retry shortly"},
                            status_code=503, headers={"Retry-After": "5"})

    @app.get("/healthz", tags=["health"])
    def liveness() -> dict[str, str]:
        """Liveness, the same as /health/live (kept for existing probes). Anyone may call."""
        return {"status": "ok"}

    return app


configure_logging()
app = create_app()
