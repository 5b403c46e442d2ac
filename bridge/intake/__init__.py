"""Intake: signed notifications from Moodle sites, exercise links, fetching and reconciling."""
