"""Endpoint modules; each exposes ``router``. Operation ids are the function names."""
