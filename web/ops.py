"""For the people who run it: /healthz (the process is up), /readyz (what it depends on answers), /metrics
(Prometheus), and per request a request id, an access line in the JSON log, and the HTTP metrics."""

from __future__ import annotations

import hmac
import time

import structlog
from flask import Blueprint, Flask, Response, g, jsonify, request

from core import clock, config, db, health, metrics, observability

bp = Blueprint("ops", __name__)
log = structlog.get_logger("web")
REQUEST_ID_HEADER = "X-Request-ID"
QUIET = frozenset({"ops.healthz", "ops.readyz", "ops.metrics", "static"})  # probes and scrapes: counted, not logged


def init_app(app: Flask) -> None:
    observability.configure_logging()
    app.register_blueprint(bp)
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    g.started = time.perf_counter()
    g.request_id = observability.accept_request_id(request.headers.get(REQUEST_ID_HEADER))
    observability.bind_request_id(g.request_id)


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("started")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    metrics.HTTP_LATENCY.labels(request.method, route).observe(elapsed)
    if request.endpoint not in QUIET:
        log.info("http.request", method=request.method, route=route, path=_loggable_path(),
                 status=response.status_code, duration_ms=round(elapsed * 1000, 1))
    return response


def _loggable_path() -> str:
    """The path with secret parts masked: an invitation link's token is a key to a login."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name.lower() in observability.SECRET_KEYS and isinstance(value, str) and value:
            path = path.replace(value, observability.REDACTED)
    return path


def _forget(_error: BaseException | None) -> None:
    observability.clear()


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """503 naming each failing part: database, migrations, broker, beat (5 minutes without a heartbeat), worker."""
    engine = db.engine()
    now = clock.now()
    checks = [health.database(engine)]
    if checks[0].ok:
        checks += [health.migrations(engine), health.heartbeat(engine, "beat", now),
                   health.heartbeat(engine, "worker", now)]
    checks.append(health.broker(config.get().broker_url))
    failing = [check.name for check in checks if not check.ok]
    body: dict[str, object] = {"status": "unavailable" if failing else "ready"}
    if _operator():  # which part fails, and why, is for the people who run it
        body |= {"failing": failing, "checks": {check.name: check.problem or "ok" for check in checks}}
    if failing:
        log.warning("readyz.failing", failing=failing)
    return jsonify(body), 503 if failing else 200


@bp.get("/metrics", endpoint="metrics")
def scrape() -> Response:
    if not _operator():
        return Response("Send the operations token: Authorization: Bearer <OPS_TOKEN>\n", status=403,
                        content_type="text/plain; charset=utf-8")
    body, content_type = metrics.render(clock.now())
    return Response(body, content_type=content_type)


def _operator() -> bool:
    """The caller may see the internals: it sends OPS_TOKEN, or no token is set outside production."""
    settings = config.get()
    if not settings.ops_token:
        return not settings.is_production
    sent = request.headers.get("Authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {settings.ops_token}".encode())
