"""``python -m neurodyn.cli``: the ``neurodyn`` command."""

import sys

from neurodyn.cli import app

sys.exit(app())
