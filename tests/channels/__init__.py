"""Per-channel tests (unit and integration), each beside its provider fixtures in fixtures/."""
