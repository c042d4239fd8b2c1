"""Log output for long-running commands: plain lines for people, JSON lines for collectors.

``--log-format json`` (or ``MENTORMATCH_LOG_FORMAT=json``) writes one JSON object per line
on standard error — ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and any
``extra={...}`` fields the caller attached (``worker_id``, ``job``, ``sent`` …) — which
journald, Loki or a container runtime's log driver can index without a parser.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Send log records to standard error in ``fmt`` ("text" or "json"), replacing handlers."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.WARNING, logging.WARNING))
    logging.getLogger("mentormatch_desktop").setLevel(level)
    logging.captureWarnings(True)  # a library's warning is a log line too, in the same format
