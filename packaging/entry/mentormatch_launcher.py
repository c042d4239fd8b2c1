"""Frozen entry point of the Linux bundle's one executable, for both commands.

On Linux the bundle ships one executable, ``mentormatch``, and ``mentormatch-desktop`` is a
symbolic link to it: the program archive (every pure module, zlib-compressed) then exists
once instead of once per executable, about 50 MB less than loose ``.pyc`` files
(packaging/mentormatch.spec). The name it was started by picks the program, as busybox
does; a link of any other name runs the command line.
"""

import multiprocessing
import os
import sys


def _wants_desktop(argv0: str) -> bool:
    return "desktop" in os.path.basename(argv0)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # a multiprocessing child of the bundle must not rerun the app
    if _wants_desktop(sys.argv[0]):
        from mentormatch_desktop.app import main
    else:
        from mentormatch_desktop.cli import main
    sys.exit(main())
