"""Who may look at the wall board without a login: a screen that once opened the kiosk address with
the shop's read-only board token, or a browser registered as a station.

The token is taken from the address once. The kiosk then keeps a long-lived HttpOnly cookie and is
sent on to the same address without the token, so the address bar and the board's history entry do
not show it, and the board's polls do not carry it. The cookie holds a digest of the token,
not the token: a new SPEX_BOARD_TOKEN makes every kiosk's cookie stop working.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, request

from spex.auth import current_station

BOARD_COOKIE = "spex_board"
BOARD_COOKIE_PATH = "/board"
# As long as a browser keeps a cookie (Chromium keeps none longer); each visit to the kiosk renews it.
BOARD_COOKIE_MAX_AGE = 400 * 24 * 3600


def _configured() -> str:
    return current_app.config.get("SPEX_BOARD_TOKEN") or ""


def _digest(token: str) -> str:
    return hmac.new(token.encode(), b"spex wall board kiosk", hashlib.sha256).hexdigest()


def token_matches(token: str | None) -> bool:
    """Whether the token is the shop's board token (none is configured: no token matches)."""
    configured = _configured()
    return bool(configured and token) and hmac.compare_digest(configured.encode(), token.encode())


def has_cookie() -> bool:
    """Whether this browser carries the cookie of the board token now configured."""
    configured, kept = _configured(), request.cookies.get(BOARD_COOKIE, "")
    return bool(configured and kept) and hmac.compare_digest(_digest(configured).encode(), kept.encode())


def allowed() -> bool:
    """A screen may look: it has the board's cookie, or it is a registered station."""
    return has_cookie() or current_station() is not None


def remember(response: Response) -> Response:
    """Give (or renew) this browser the board's cookie; only the board's addresses receive it."""
    response.set_cookie(BOARD_COOKIE, _digest(_configured()), max_age=BOARD_COOKIE_MAX_AGE, path=BOARD_COOKIE_PATH,
                        httponly=True, samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response
