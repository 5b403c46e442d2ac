"""Delivery metrics (scraped wherever the process exposes prometheus_client's registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

DELIVERIES_PARKED = Gauge(
    "bridge_deliveries_parked", "Grade deliveries to Moodle parked after their last retry.")
DELIVERY_RETRIES = Counter(
    "bridge_delivery_retries_total", "Grade deliveries to Moodle scheduled for another try.")
