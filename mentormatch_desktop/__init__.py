"""MentorMatch Desktop: self-hosted mentorship matching and analytics workbench.

Plugin authors import from one module, :mod:`mentormatch_desktop.plugin.api`; ``hookimpl``
is also re-exported here so ``from mentormatch_desktop import hookimpl`` keeps working.
"""

from mentormatch_desktop._version import __version__
from mentormatch_desktop.plugin.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]
