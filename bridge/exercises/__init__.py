"""Exercises: the teacher's tests and limits, stored and versioned."""
