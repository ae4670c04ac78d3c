"""``python -m server`` is the ``hawiya`` command."""

import sys

from server.cli import main

sys.exit(main())
