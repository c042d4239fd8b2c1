"""Frozen entry point of ``mentormatch-desktop`` (the GUI script's twin)."""

import multiprocessing
import sys

from mentormatch_desktop.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a multiprocessing child of the bundle must not rerun the app
    sys.exit(main())
