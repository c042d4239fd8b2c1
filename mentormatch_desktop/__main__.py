"""``python -m mentormatch_desktop`` opens the desktop app."""

import sys

from mentormatch_desktop.app import main

sys.exit(main())
