"""Grade history: every score computed, grade pushed, override seen and regrade, append-only."""
