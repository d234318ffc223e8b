"""A logging filter that keeps the ResponseURL (a presigned URL: a credential) out of the logs.

crhelper logs the event and the URL at DEBUG only, and the provider runs it at INFO; the filter
is there anyway, for any record that would carry the URL (an exception message, a library's
debug line). It replaces the exact URLs it is told about, and strips the query string of any
URL that looks presigned, leaving ``scheme://host/path?***``. Every part of a record a formatter
may print is cleaned: the message, the formatted exception and stack, and — for Lambda's JSON log
format, which prints the exception's own text and the record's extra attributes — the exception
itself and every extra attribute.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

_PRESIGNED = re.compile(
    r"(?P<base>https?://[^\s?'\"<>]+)\?(?P<query>[^\s'\"<>]*(?:Signature|X-Amz-Credential|X-Amz-Security-Token)[^\s'\"<>]*)",
    re.IGNORECASE,
)
REDACTED = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each secret URL and every presigned query string replaced."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, _shown(secret))
    return _PRESIGNED.sub(lambda m: f"{m['base']}?{REDACTED}", text)


def _shown(url: str) -> str:
    base = url.split("?", 1)[0]
    scheme, _, rest = base.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{REDACTED}" if rest else REDACTED


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) with ``redact``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """The exact strings to hide (the current request's ResponseURL)."""
        with self._lock:
            self._secrets = {s for s in secrets if isinstance(s, str) and s}

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = tuple(self._secrets)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        cleaned = redact(message, secrets)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        if record.exc_info and record.exc_info[1] is not None:
            exc_type, exc, tb = record.exc_info
            if redact(str(exc), secrets) != str(exc):
                record.exc_info = (exc_type, RedactedError(redact(str(exc), secrets)), tb)
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, _redact_value(value, secrets))
        return True


class RedactedError(Exception):
    """Stands in a log record for an exception whose text held a secret (the record keeps the type and traceback)."""


# The attributes every LogRecord has; the others are extras (``logger.info(..., extra={...})``).
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {
    "message",
    "asctime",
}


def _redact_value(value: object, secrets: tuple[str, ...]) -> object:
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: _redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v, secrets) for v in value)
    return value


# Loggers whose records the filter sees even when the root logger has no handler of its own.
_LOGGERS = ("crhelper.resource_helper", "crhelper.utils", "botocore", "urllib3")


def install(log_filter: RedactingFilter) -> None:
    """Attach the filter to every root handler and to the loggers that could see the URL (idempotent)."""
    for handler in logging.getLogger().handlers:
        if log_filter not in handler.filters:
            handler.addFilter(log_filter)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if log_filter not in logger.filters:
            logger.addFilter(log_filter)
