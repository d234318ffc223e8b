"""The secrets the suite looks for in logs and responses, and the search.

What is secret, and why: the ResponseURL (a presigned S3 URL: whoever holds it can answer for
the stack), in particular its query string and signature; the AWS secret access key and session
token. ClientTokens are not secrets: they derive from the CloudFormation RequestId, which stack
events show anyway, and grant nothing. The access key id is no secret either, but it reaches a
log only with signed request headers, so it is looked for too.
"""

from __future__ import annotations

from typing import Any

ACCESS_KEY_ID = "AKIARELIABILITYSUITE1"
SECRET_ACCESS_KEY = "rEliAbiLitY/SuiTe+SeCrEt/AcCeSs/KeY0123456"  # a fake, searched for in logs
SESSION_TOKEN = "FwoGZXIvYXdzReliabilitySuiteSessionTokenNotARealOne0123456789"  # a fake


def secrets_in(event: dict[str, Any]) -> list[str]:
    """The secret strings of a request: the ResponseURL, its query string and its signature."""
    url = str(event.get("ResponseURL", ""))
    found = [url]
    if "?" in url:
        query = url.split("?", 1)[1]
        found.append(query)
        found += [part.split("=", 1)[1] for part in query.split("&") if part.lower().startswith("x-amz-signature=")]
    return [s for s in found if s]


def leaks(text: str, events: list[dict[str, Any]]) -> list[str]:
    """Which secrets (named, not shown) appear in ``text``."""
    named = {"secret access key": SECRET_ACCESS_KEY, "session token": SESSION_TOKEN, "access key id": ACCESS_KEY_ID}
    found = [name for name, value in named.items() if value in text]
    for event in events:
        found += [f"ResponseURL part of request {event.get('RequestId')}" for s in secrets_in(event) if s in text]
    return found
