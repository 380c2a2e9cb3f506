"""fund domain."""
