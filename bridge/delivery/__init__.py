"""Delivery: the outbox that pushes grades and feedback back to Moodle."""
