"""Frozen entry point of ``mentormatch-desktop`` (the GUI script's twin)."""

import multiprocessing
import sys

from mentormatch_desktop.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # joblib/sklearn may spawn workers from the bundle
    sys.exit(main())
