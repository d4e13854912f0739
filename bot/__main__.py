"""``python -m bot`` does what the ``kannustin`` command does."""

import sys

from bot.cli import main

sys.exit(main())
