"""MentorMatch Desktop: self-hosted mentorship matching and analytics workbench.

Plugin authors import one name from here: ``from mentormatch_desktop import hookimpl``.
"""

from mentormatch_desktop.plugin.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]
__version__ = "0.1.0"
