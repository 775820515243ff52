"""WIP tests' helpers: jobs in every stage, built through the shop-floor functions like a real day."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from spex import codes, shopfloor, shoptime


class Floor:
    """People who do the work, and jobs brought to a given stage with the real domain functions."""

    def __init__(self, make):
        self.make = make
        self.session = make.session
        self.operator = make.user(codes.OPERATOR)
        self.inspector = make.user(codes.INSPECTOR)
        self.shipping = make.user(codes.SHIPPING)

    def complete(self, job, seq, good):
        return shopfloor.complete_operation(self.session, self.op(job, seq), good, user=self.operator)

    def scrap(self, job, seq, quantity, reason="DIM"):
        return shopfloor.scrap_pieces(self.session, self.op(job, seq), quantity, reason, user=self.operator)

    def hold(self, job, seq, quantity, reason="DIM"):
        return shopfloor.place_hold(self.session, self.op(job, seq), quantity, reason, user=self.inspector)

    def ship_out(self, job, seq, quantity, expected_back=None):
        return shopfloor.ship_out(self.session, self.op(job, seq), quantity, user=self.shipping,
                                  expected_back=expected_back)

    @staticmethod
    def op(job, seq):
        return next(o for o in job.operations if o.seq == seq)


@pytest.fixture
def floor(make):
    return Floor(make)


def due(days: int) -> date:
    return shoptime.today() + timedelta(days=days)


class _OneRequestPerConnection(WSGIRequestHandler):
    # A real restart drops every open connection; without keep-alive the dev server does the same,
    # so a stopped server really is gone for the browser (nothing is served by a lingering thread).
    protocol_version = "HTTP/1.0"


class RestartableServer:
    """A live server on a fixed port that can be stopped and started again, like a service restart."""

    def __init__(self, app, port=0):
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_OneRequestPerConnection)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def start_server():
    """Start live servers (on a given port to simulate a restart); any still running stop at teardown."""
    started = []

    def _start(app, port=0):
        server = RestartableServer(app, port)
        started.append(server)
        return server

    yield _start
    for server in started:
        if server.thread.is_alive():
            server.stop()
