"""Results export: one activity's results per student and per test (CSV, JSON, pass rates)."""
