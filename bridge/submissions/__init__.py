"""Submissions: what a student handed in, its grading status and its results."""
