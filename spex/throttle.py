"""Failed sign-ins counted per user name and per address, so that guessing passwords gets slow.

Counted with `limits`, the rate-limit library underneath Flask-Limiter, called from the sign-in view
only: Flask-Limiter's own request hooks would run on every request (each scan included) and cost
more there than the rest of the scan's hooks together.
"""
from __future__ import annotations

import time

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_NAMESPACE = "spex-sign-in"


class SignInThrottle:
    """Bound to an app by init_app; the counts live in storage made anew for each app."""

    def init_app(self, app) -> None:
        # Moving window: "5 per minute" never lets ten through around a minute's turn. memory:// and
        # redis:// support it; a storage that does not fails here, at start-up, not at someone's sign-in.
        storage = storage_from_string(app.config["SPEX_RATELIMIT_STORAGE_URI"])
        app.extensions["spex_sign_in_throttle"] = (
            MovingWindowRateLimiter(storage),
            (("user", parse(app.config["SPEX_LOGIN_LIMIT_PER_USER"])),
             ("address", parse(app.config["SPEX_LOGIN_LIMIT_PER_ADDRESS"]))),
        )

    @staticmethod
    def _bound():
        return current_app.extensions["spex_sign_in_throttle"]

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, str]:
        return {"user": username.strip().lower(), "address": address or "-"}

    def wait_seconds(self, username: str, address: str) -> int:
        """0 when this name from this address may try; otherwise how long until it may."""
        strategy, limits_ = self._bound()
        keys = self._keys(username, address)
        waits = [strategy.get_window_stats(limit, _NAMESPACE, kind, keys[kind]).reset_time - time.time()
                 for kind, limit in limits_ if not strategy.test(limit, _NAMESPACE, kind, keys[kind])]
        return max(1, int(max(waits)) + 1) if waits else 0

    def count_failure(self, username: str, address: str) -> None:
        strategy, limits_ = self._bound()
        keys = self._keys(username, address)
        for kind, limit in limits_:
            strategy.hit(limit, _NAMESPACE, kind, keys[kind])
