"""A third-party plugin for the bundle smoke test: it reports a status note."""

from mentormatch_desktop import hookimpl


@hookimpl
def plugin_status():
    return "loaded from the plugin folder"
