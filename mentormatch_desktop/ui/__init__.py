"""The PySide6 desktop app. Thin: widgets, item models and workers over the services."""
