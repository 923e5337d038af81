"""gunicorn settings for BridgeFund: ``gunicorn -c python:bridgefund.gunicorn_conf wsgi:app`` (``make run`` does).

gunicorn answers some malformed requests itself, before the app sees them, with an HTML page instead of an RFC 9457
problem. Its limits are set above the app's own (see :mod:`bridgefund.web`), so that every request a client can
reasonably send reaches the app and gets a problem+json answer:

==========================  ===============================  ==============================================
what                        the app answers (problem+json)   gunicorn answers itself (HTML), beyond
==========================  ===============================  ==============================================
request target (URL)        414 above 4,096 bytes            400 above 8,190 bytes (its maximum)
one header field            431 above 8,190 bytes            431 above 16,380 bytes
number of header fields     431 above 64                     431 above 100
JSON body                   413 above 1 MiB                  (no limit: the app reads the body)
upload (multipart)          413 above 20 MiB                 (no limit)
==========================  ===============================  ==============================================

gunicorn still answers on its own: a request line or header that is not HTTP (400), a method it cannot parse
(400), an unsupported HTTP version (505), and a worker that runs past ``timeout`` is killed (the client sees the
connection closed, or the proxy's 502/504). README.md, "Running in production", says the same.
"""

limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 16380
timeout = 30

# --- metrics across workers (``GET /metrics``) ----------------------------------------------------------------------
# prometheus-client's multiprocess mode: each worker writes its counters to files in PROMETHEUS_MULTIPROC_DIR and a
# scrape, whichever worker answers it, sums them. The variable must be set before a worker imports the app (the
# master sets it here, before forking); files of a previous run are cleared at start, a dead worker's are marked.


def on_starting(server) -> None:  # noqa: ANN001
    import os
    import tempfile
    from pathlib import Path

    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        folder = tempfile.mkdtemp(prefix="bridgefund-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:  # noqa: ANN001
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
