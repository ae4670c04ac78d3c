"""``python -m server`` is the ``hawiya`` command."""

from server.cli import run

run()
