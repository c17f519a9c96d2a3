"""python -m spatialecon: the command line."""

import sys

from spatialecon.cli import main

sys.exit(main())
