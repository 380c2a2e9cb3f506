"""The ``timebank`` command: ``main`` assembles the commands of each domain."""
