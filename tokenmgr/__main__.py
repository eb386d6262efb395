"""`python -m tokenmgr` runs the CLI."""

from __future__ import annotations

import sys

from tokenmgr.cli import main

sys.exit(main())
