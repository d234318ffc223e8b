"""The ResponseURL never reaches a log record."""

from __future__ import annotations

import io
import json
import logging

import pytest

from lookoutvision_cdk_provider.redaction import RedactingFilter, install, redact

URL = "https://127.0.0.1:8443/cloudformation-responses/req-1?X-Amz-Expires=7200&X-Amz-Signature=abc123"
S3_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Aaws%3Acloudformation%3A"
    "us-east-1%3A1%3Astack/s/g%7CModel%7Creq?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F"
    "&X-Amz-Signature=deadbeef"
)


def test_an_exact_secret_is_replaced() -> None:
    text = redact(f"sending to {URL} now", [URL])
    assert URL not in text
    assert "abc123" not in text
    assert "https://127.0.0.1:8443/***" in text


def test_any_presigned_query_is_stripped_even_when_unknown() -> None:
    text = redact(f"event {{'ResponseURL': '{S3_URL}'}}")
    assert "deadbeef" not in text
    assert "X-Amz-Credential" not in text
    assert "s3.amazonaws.com/" in text


def test_plain_urls_are_left_alone() -> None:
    assert redact("see https://docs.aws.amazon.com/x?page=2") == "see https://docs.aws.amazon.com/x?page=2"


def test_the_filter_rewrites_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    log_filter = RedactingFilter()
    log_filter.set_secrets([URL])
    install(log_filter)
    logger = logging.getLogger("crhelper.utils")
    try:
        with caplog.at_level(logging.DEBUG):
            logger.debug("CFN response URL: %s", URL)
            try:
                raise ValueError(f"cannot reach {URL}")
            except ValueError:
                logger.exception("failed")
            logging.getLogger("any.other").info({"ResponseURL": URL})
    finally:
        logger.removeFilter(log_filter)
        for handler in logging.getLogger().handlers:
            handler.removeFilter(log_filter)
    assert "CFN response URL" in caplog.text
    assert "cannot reach" in caplog.text
    assert "abc123" not in caplog.text
    assert URL not in caplog.text


class _LambdaJsonFormat(logging.Formatter):
    """Lambda's JSON log format (AWS_LAMBDA_LOG_FORMAT=JSON) as its runtime writes it: the record's message,
    the exception's type and its own text (not the formatted traceback), and every extra attribute."""

    _STANDARD = frozenset(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None)))

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {"level": record.levelname, "message": record.getMessage(), "logger": record.name}
        if record.exc_info and record.exc_info[0] is not None:
            entry["errorType"] = record.exc_info[0].__name__
            entry["errorMessage"] = str(record.exc_info[1])
        entry.update((k, v) for k, v in vars(record).items() if k not in self._STANDARD and k not in entry)
        return json.dumps(entry, default=str)


def test_lambdas_json_log_format_prints_no_secret() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_LambdaJsonFormat())
    log_filter = RedactingFilter()
    log_filter.set_secrets([URL])
    handler.addFilter(log_filter)
    logger = logging.getLogger("tests.json-format")
    logger.addHandler(handler)
    try:
        try:
            raise ConnectionError(f"PUT {URL} failed")
        except ConnectionError:
            logger.exception("sending failed", extra={"event": {"ResponseURL": URL, "RequestId": "r"}, "url": S3_URL})
    finally:
        logger.removeHandler(handler)

    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert "abc123" not in line and "deadbeef" not in line and "X-Amz-Credential" not in line
    assert entry["errorType"] == "ConnectionError"
    assert entry["errorMessage"] == "PUT https://127.0.0.1:8443/*** failed"
    assert entry["event"] == {"ResponseURL": "https://127.0.0.1:8443/***", "RequestId": "r"}
    assert entry["url"].endswith("?***")
