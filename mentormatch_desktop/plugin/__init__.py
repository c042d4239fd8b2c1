"""The plugin host: hook specifications and the typed facade the core talks to."""
