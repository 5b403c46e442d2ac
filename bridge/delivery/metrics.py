"""Delivery metrics (scraped wherever the process exposes prometheus_client's registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

# "mostrecent": in multiprocess workers the newest value wins, so a dead process's stale
# count cannot keep the parked-deliveries alert firing.
DELIVERIES_PARKED = Gauge(
    "bridge_deliveries_parked", "Grade deliveries to Moodle parked after their last retry.",
    multiprocess_mode="mostrecent")
DELIVERY_RETRIES = Counter(
    "bridge_delivery_retries_total", "Grade deliveries to Moodle scheduled for another try.")
DELIVERIES_WOKEN = Counter(
    "bridge_deliveries_woken_total",
    "Grade deliveries tried early because a delivery to the same site had just succeeded.")
