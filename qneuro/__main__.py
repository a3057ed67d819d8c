"""``python -m qneuro``: the same as the ``qneuro`` command."""

import sys

from qneuro.cli import main

sys.exit(main())
