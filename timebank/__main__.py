"""``python -m timebank`` runs the ``timebank`` command."""

from timebank.cli.main import app

app()
