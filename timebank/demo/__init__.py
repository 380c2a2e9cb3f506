"""The demo city: a deterministic, seeded Beijing with a year of time-bank activity.

``runner.run_demo`` is the entry point (``timebank demo``); ``docs/demo.md`` describes what
the city contains. Modules, in the order the demo runs them: ``plan`` (size, seed, knobs),
``places``, ``residents`` + ``families`` (people, kinship, licences), ``schedule`` +
``funding`` + ``activity`` (the simulated year, producing ``events.Visit`` and
``events.Movement``), ``persist`` (bulk inserts), ``specs`` + ``posting`` (the ledger).
"""
