"""JSON log lines carrying the operation id of the message or request being handled."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson

from prisoner_to_nomis_update.framework.telemetry import current_operation_id

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = current_operation_id()
        if current:
            line["operationId"] = current
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # azure-core logs every ingestion request at INFO when the Application Insights exporter runs.
    for noisy in ("botocore", "aiobotocore", "urllib3", "uvicorn.access", "azure"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
