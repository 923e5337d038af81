"""``GET /metrics``: Prometheus text for the operators (outside /api/v1, bearer ``BRIDGEFUND_METRICS_TOKEN``).

* ``bridgefund_http_requests_total{method, route, status}`` and ``bridgefund_http_request_duration_seconds``
  (histogram) — counted by each web process. Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (the gunicorn
  settings of :mod:`bridgefund.gunicorn_conf` do): every worker writes its counts there and a scrape sums them.
* read from the database and the queue at each scrape (true across every host, whichever process answers):
  ``bridgefund_jobs{kind, status}`` (``status="failed"``: job failures), ``bridgefund_queue_depth`` (messages
  waiting in the queue), ``bridgefund_worker_heartbeat_age_seconds``, ``bridgefund_fund_cash_yuan``,
  ``bridgefund_bridge_loans_overdue`` and ``bridgefund_bridge_overdue_principal_yuan``.

Prometheus samples are floats by the format's definition: money is converted only here, for display; nothing
reads it back.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Select, func, select

from bridgefund.db import utcnow
from bridgefund.errors import NotAuthenticated, NotFound
from bridgefund.figures.fund import fund_position
from bridgefund.models import Job
from bridgefund.notify import outbox
from bridgefund.services import jobs
from bridgefund.web import PUBLIC, access, log, session, settings

REQUESTS = Counter("bridgefund_http_requests_total", "HTTP requests answered, by route and status",
                   ["method", "route", "status"])
LATENCY = Histogram("bridgefund_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["method", "route"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_count)
    app.add_url_rule("/metrics", "metrics", metrics)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _count(resp: Response) -> Response:
    started = g.get("metrics_started")
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        REQUESTS.labels(request.method, route, str(resp.status_code)).inc()
        LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
    return resp


@access(PUBLIC)  # its own bearer token, below: not a user's
def metrics() -> Response:
    """The Prometheus text exposition (bearer ``BRIDGEFUND_METRICS_TOKEN``; 404 when no token is configured)."""
    token = settings().metrics_token
    if not token:
        raise NotFound("/metrics is not enabled (set BRIDGEFUND_METRICS_TOKEN)")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        raise NotAuthenticated("/metrics needs Authorization: Bearer <BRIDGEFUND_METRICS_TOKEN>")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    books = CollectorRegistry()
    books.register(_BooksCollector())
    return Response(text + generate_latest(books), mimetype=CONTENT_TYPE_LATEST)


class _BooksCollector:
    """The figures read at scrape time from the database and the queue."""

    def collect(self) -> Iterator[Any]:
        s = session()
        try:
            counts = s.execute(_jobs_by_kind_and_status()).all()
            position = fund_position(s, settings().business_date())
            last = jobs.last_heartbeat(s)
            deliveries = outbox.counts(s)
        except Exception:  # a scrape must answer even when the database does not
            log.exception("metrics: the database could not be read")
            return
        family = GaugeMetricFamily("bridgefund_jobs", "Jobs by kind and status (status=failed: job failures)",
                                   labels=["kind", "status"])
        for kind, status, n in counts:
            family.add_metric([kind, status], n)
        yield family
        family = GaugeMetricFamily("bridgefund_notification_deliveries",
                                   "Notification deliveries (e-mail, WeCom, SMS) by status", labels=["status"])
        for status in ("pending", "sent", "failed"):
            family.add_metric([status], deliveries.get(status, 0))
        yield family
        yield GaugeMetricFamily("bridgefund_queue_depth", "Messages waiting in the task queue", value=_pending())
        if last is not None:
            yield GaugeMetricFamily("bridgefund_worker_heartbeat_age_seconds",
                                    "Seconds since the newest consumer heartbeat",
                                    value=(utcnow() - last).total_seconds())
        yield GaugeMetricFamily("bridgefund_fund_cash_yuan", "The bridge-loan fund's cash balance today",
                                value=float(position["cash_balance"]))
        yield GaugeMetricFamily("bridgefund_bridge_loans_overdue", "Disbursed bridge loans past their due date",
                                value=position["overdue_count"])
        yield GaugeMetricFamily("bridgefund_bridge_overdue_principal_yuan",
                                "Outstanding principal of the overdue bridge loans",
                                value=float(position["overdue_amount"]))


def _jobs_by_kind_and_status() -> Select[Any]:
    return select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)


def _pending() -> int:
    huey = current_app.extensions["bridgefund.huey"]
    try:
        return 0 if huey.immediate else huey.pending_count()
    except Exception:
        log.exception("metrics: the queue could not be read")
        return -1
