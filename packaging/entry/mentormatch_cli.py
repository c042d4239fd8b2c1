"""Frozen entry point of the ``mentormatch`` command (the console script's twin)."""

import multiprocessing
import sys

from mentormatch_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # joblib/sklearn may spawn workers from the bundle
    sys.exit(main())
