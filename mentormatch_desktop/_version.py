"""The version string, in a module of its own so the core layers can read it without
importing the package root (which re-exports the plugin API)."""

__version__ = "0.1.0"
