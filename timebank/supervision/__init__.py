"""Supervision: fraud detection, alerts, cases and sanctions.

``detection/`` is the pure part: named rules over plain records and columnar tables (numpy, no
database), run at write time (``detection.live``) and as a full scan (``detection.scan``).
The rest is the database side: loading what the detectors read (``repository``,
``contexts``), storing alerts and the watch list (``records``), cases and their decisions
(``cases``, ``lifecycle``), sanctions (``sanctions``) and appeals (``appeals``).
Importing this package loads nothing heavy: numpy comes with ``detection`` only.
"""
