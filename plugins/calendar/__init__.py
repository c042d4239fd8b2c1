"""The built-in calendar connectors: ``ics``, ``caldav``, ``google`` and ``microsoft``.

Each module is a plugin of its own (registered through the ``mentormatch`` entry-point
group), implementing the :class:`~mentormatch_desktop.plugin.contracts.CalendarConnector`
protocol. Shared pieces: :mod:`.secrets` (OS keyring), :mod:`.oauth` (installed-app OAuth
with PKCE and a loopback redirect) and :mod:`.rest` (retries, rate limits, token refresh).
"""
