"""MentorMatch's built-in plugins, installed as the package ``mentormatch_plugins``.

The repository keeps them in ``plugins/`` (``matching/`` today; calendar connectors and
messaging channels will sit beside it); ``setup.py`` maps that folder to
``mentormatch_plugins`` so the wheel adds no generic top-level ``plugins`` package to a
user's environment. Each module is registered through the ``mentormatch`` entry-point group
in ``pyproject.toml`` and imports only :mod:`mentormatch_desktop.plugin.api`.
"""
