"""care domain."""
