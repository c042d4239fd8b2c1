"""Frozen entry point of the ``mentormatch`` command (the console script's twin)."""

import multiprocessing
import sys

from mentormatch_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a multiprocessing child of the bundle must not rerun the app
    sys.exit(main())
