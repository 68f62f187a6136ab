"""``python -m nstlib ...`` runs the command line of :mod:`nstlib.cli`."""

from __future__ import annotations

import sys

from nstlib.cli import main

if __name__ == "__main__":
    sys.exit(main())
