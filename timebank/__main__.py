"""``python -m timebank`` runs the ``timebank`` command."""

from timebank.cli import app

app()
