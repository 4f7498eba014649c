"""A logfmt formatter: `ts=... level=INFO logger=inbox.tasks msg="..." channel=12`, one event per line."""

from __future__ import annotations

import datetime as dt
import logging

# Attributes every LogRecord has; anything else was passed through `extra=` and is printed as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def _quote(value: object) -> str:
    text = str(value)
    if text and not any(ch in text for ch in ' "=\n\t'):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds")
        fields = [
            f"ts={ts}",
            f"level={record.levelname}",
            f"logger={record.name}",
            f"msg={_quote(record.getMessage())}",
        ]
        fields += [f"{key}={_quote(value)}" for key, value in vars(record).items() if key not in _STANDARD]
        if record.exc_info:
            fields.append(f"exc={_quote(self.formatException(record.exc_info))}")
        return " ".join(fields)
