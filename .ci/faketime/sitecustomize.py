"""Only for CI's fake-date run (put on PYTHONPATH there, nowhere else): under libfaketime with
DONT_FAKE_MONOTONIC=1, time.sleep() fails with EINVAL (libfaketime issue #426), so sleep in select(),
which waits the same real time. Without DONT_FAKE_MONOTONIC every wait with a timeout hangs instead."""
import select
import time


def _sleep(seconds: float) -> None:
    select.select([], [], [], seconds)


time.sleep = _sleep
