"""``python -m mentormatch_desktop.cli``."""

from mentormatch_desktop.cli import main

main()
