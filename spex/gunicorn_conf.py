"""Gunicorn settings `flask spex serve` runs with (gunicorn -c python:spex.gunicorn_conf)."""
import gc
import re

from gunicorn.glogging import Logger

# One request at a time per worker process. Measured with four stations scanning flat out on two
# cores (bench/README.md, "Scan station"): threads in a worker contend for the interpreter lock
# while one of them holds the database's write lock, and kept-alive connections stay with the
# worker that took them, so four stations could split 3-1 over two workers and leave one idle.
worker_class = "sync"

# The wall board's kiosk address carries the read-only board token (/board/kiosk?token=...) on a
# screen's first visit (later visits and polls use a cookie), and so may a bookmark, an old screen's
# polls or a Referer. Whoever reads the access log must not learn it there.
_TOKEN_VALUE = re.compile(r"(\btoken=)[^&\s\"]*")
REDACTED = "[redacted]"


def redact_tokens(text: str) -> str:
    """The text with the value of every token= query parameter replaced."""
    return _TOKEN_VALUE.sub(r"\g<1>" + REDACTED, text) if "token=" in text else text


class AccessLogWithoutTokens(Logger):
    """Gunicorn's logger, with tokens taken out of every part of an access-log line (request line,
    query string, Referer, any header or environ value a custom format names)."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str) and "token=" in value:
                atoms[key] = redact_tokens(value)
        return atoms


logger_class = AccessLogWithoutTokens


def post_worker_init(worker):
    # Everything loaded so far (Flask, SQLAlchemy, the models, the templates) lives as long as the
    # worker. Freezing it keeps the collector from walking those objects again on every full
    # collection, which otherwise stalled a scan now and then for 50-100 ms.
    gc.collect()
    gc.freeze()
