"""The detectors, one module per family; each rule is a pure function of tables and params.

Every visit rule takes ``focus``: ``None`` for a full scan, or the row of a just-written record,
in which case only alerts that record takes part in are built (the write-time path).
"""
