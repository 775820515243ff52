"""Talking to a network thermal printer: raw ZPL over TCP port 9100. A printer that does not
answer costs the operator a few seconds and a clear message, never a hung page."""
from __future__ import annotations

import socket

CONNECT_TIMEOUT_S = 3.0


class PrinterUnreachable(OSError):
    """The printer did not take the job; the message says which printer and why."""


def send_raw(host: str, port: int, data: bytes, timeout: float = CONNECT_TIMEOUT_S) -> None:
    if not host:
        raise PrinterUnreachable("this station has no printer configured (set its printer host)")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as connection:
            connection.settimeout(timeout)
            connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)
    except socket.timeout:
        raise PrinterUnreachable(f"printer {host}:{port} did not answer within "
                                 f"{timeout:g} s — check it is on and online") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PrinterUnreachable(f"printer {host}:{port} cannot be reached ({reason}) — "
                                 f"check it is on and its network cable") from None
