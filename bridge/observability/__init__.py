"""Observability: Prometheus metrics, health probes and structured JSON logs with request ids."""
