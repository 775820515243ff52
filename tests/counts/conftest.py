"""Count fixtures: the scan tests' shop (a rack bin with two 144 in bars) and station."""
from tests.scan.conftest import operator_at, scan, shop, station  # noqa: F401
