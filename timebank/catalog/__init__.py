"""Catalog: the eight city service categories, district items, professional requirements."""
