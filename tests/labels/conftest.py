"""Label station tests' fixtures: a small shop with one record of every labelled kind, a loopback
TCP listener standing in for a network label printer, and a port where no printer answers."""
from __future__ import annotations

import socket
import threading
import time
from decimal import Decimal

import pytest

from spex import codes, shopfloor

class Shop:
    """A small shop with one of everything a label is printed for."""

    def __init__(self, make, session):
        self.admin = make.user(codes.ADMIN, name="Ada Admin")
        self.area = make.location("BAR", kind="area", name="Bar stock")
        self.rack = make.location("R7", kind="rack", parent=self.area, name="Rack 7")
        self.bins = [make.location(f"R7-A0{n}", parent=self.rack, name=f"Rack 7 bin A0{n}") for n in (1, 2, 3)]
        self.fg_bin = make.location("FG-01", kind="fg", name="Finished goods shelf 1")
        self.material = make.material("316 stainless", "1.250 dia")
        self.lot = make.lot(self.material, self.bins[0], lengths=(144, 144, 96), heat="H52311")
        self.units = sorted(self.lot.units, key=lambda u: u.code)
        self.job = make.job(quantity=20, ops=("lathe",), outside=("anodize",), material=self.material)
        lathe, anodize = self.job.operations
        shopfloor.pull_material(session, self.units[0], self.job, 30, user=self.admin)
        self.remnant = shopfloor.return_remnant(session, self.units[0], Decimal("12.5"), self.bins[1],
                                                user=self.admin)
        shopfloor.complete_operation(session, lathe, 20, user=self.admin)
        self.shipment = shopfloor.ship_out(session, anodize, 20, user=self.admin, packing_slip="PS-1")
        self.anodize = anodize
        self.lathe = lathe
        shopfloor.receive_back(session, anodize, 20, user=self.admin)
        self.fg = shopfloor.receive_finished_goods(session, self.job, 20, self.fg_bin, user=self.admin)
        self.printer_station = make.station("LBL1", kind="labels")
        self.printer_station.printer_host = "127.0.0.1"
        make.commit()


@pytest.fixture
def shop(make, session):
    return Shop(make, session)


class FakePrinter:
    """A TCP listener on loopback standing in for a Zebra on port 9100: keeps every byte sent."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(5)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                chunks = []
                while chunk := connection.recv(65536):
                    chunks.append(chunk)
                self.received.append(b"".join(chunks))

    def wait_for(self, count: int, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received

    def close(self):
        self.server.close()


@pytest.fixture
def printer():
    fake = FakePrinter()
    yield fake
    fake.close()


@pytest.fixture
def free_port():
    """Gives a loopback port nobody listens on: a printer that is switched off."""
    return _free_port


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port
