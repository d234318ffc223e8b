"""The local S3's buckets and objects, kept in a state directory so that they outlive a restart of ``serve``.

``S3State`` writes, after every request that S3 answered with success and that may have changed it
(any method but GET and HEAD), the buckets the request names — all of them when its path names none —
into its directory: ``buckets.json`` (each bucket's region and versioning, and per key the digest of its
current version's body, the headers it is stored with, and the ETag, size and date it was listed with)
and ``objects/<sha256>`` (each body once; a body no key holds any more is removed). The request is
answered once its bucket is written. ``restore`` puts everything back into a fresh S3, after the
stacks' own buckets were created again with their configuration: a missing bucket is created (with
its versioning), every object put with its headers; changes are written from then on, so that what
the stacks create again before it does not overwrite what is kept
(docs/decisions/0131-state-across-restarts.md).
Only each key's current version is kept (not older versions, version ids, tags or ACLs), and of a
bucket no live stack holds, only its region and versioning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

# The headers an object is stored with (GetObject's answer → PutObject's parameters).
KEPT_HEADERS = ("ContentType", "ContentEncoding", "ContentDisposition", "ContentLanguage", "CacheControl", "Metadata")
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MISSING = frozenset({"404", "NoSuchBucket", "NotFound"})


def requested_bucket(environ: WSGIEnvironment) -> str | None:
    """The bucket a path-style S3 request names (``/bucket/key``), or None when its path names none."""
    path = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")
    bucket = unquote(path.split("?", 1)[0].lstrip("/").split("/", 1)[0])
    return bucket or None


class S3State:
    """The S3 of a local cloud, kept in ``directory``; ``s3`` gives an S3 client of it (the administrator's)."""

    def __init__(self, directory: Path, s3: Callable[[], Any]) -> None:
        self.directory = directory
        self._s3 = s3
        self._lock = threading.RLock()
        self._recording = threading.Event()  # set once restored: changes before are not written
        self._buckets: dict[str, dict[str, Any]] = self._read_index()

    @property
    def index_file(self) -> Path:
        return self.directory / "buckets.json"

    @property
    def objects(self) -> Path:
        return self.directory / "objects"

    def buckets(self) -> dict[str, dict[str, Any]]:
        """What is kept: bucket → its region, versioning and objects (key → digest, headers, listing)."""
        with self._lock:
            return json.loads(json.dumps(self._buckets))

    def recording(self, app: WSGIApplication) -> WSGIApplication:
        """``app`` (S3), each successful change written here before it is answered."""

        def recorded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            if environ.get("REQUEST_METHOD", "GET") in _READ_ONLY_METHODS or not self._recording.is_set():
                return app(environ, start_response)
            statuses: list[str] = []

            def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                statuses.append(status)
                return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

            body = app(environ, remember)
            if statuses and statuses[0][:1] == "2":
                bucket = requested_bucket(environ)
                self.save([bucket] if bucket else None)
            return body

        return recorded

    def save(self, buckets: Iterable[str] | None = None) -> None:
        """Write ``buckets`` (None: every bucket S3 holds, and forget those it no longer holds) as S3 holds them now."""
        with self._lock:
            s3 = self._s3()
            if buckets is None:
                existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
                names = sorted(existing | set(self._buckets))
            else:
                names = list(buckets)
            for name in names:
                try:
                    self._save_bucket(s3, name)
                except (ClientError, BotoCoreError, OSError) as exc:
                    logger.warning("S3 bucket %s not kept in %s: %s", name, self.directory, exc)
            self._write_index()

    def restore(self) -> list[str]:
        """Create every kept bucket that S3 lacks and put every kept object back, then write every change from now
        on; a warning per bucket that could not be restored."""
        warnings: list[str] = []
        with self._lock:
            s3 = self._s3()
            for name, bucket in self._buckets.items():
                try:
                    self._restore_bucket(s3, name, bucket)
                except (ClientError, BotoCoreError, OSError) as exc:
                    warnings.append(f"S3 bucket {name} not restored: {exc}")
            self._write_index()
            self._recording.set()
        return warnings

    # -- one bucket ------------------------------------------------------------------------------

    def _save_bucket(self, s3: Any, name: str) -> None:
        try:
            region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _MISSING:
                self._buckets.pop(name, None)
                return
            raise
        kept = self._buckets.get(name, {}).get("objects", {})
        objects: dict[str, Any] = {}
        for listed in _listing(s3, name):
            key = listed["Key"]
            fingerprint = {"ETag": listed["ETag"], "Size": listed["Size"], "LastModified": str(listed["LastModified"])}
            entry = kept.get(key)
            if entry is None or entry["listed"] != fingerprint:
                entry = self._read_object(s3, name, key, fingerprint)
            objects[key] = entry
        versioning = s3.get_bucket_versioning(Bucket=name).get("Status")
        self._buckets[name] = {"region": region, "versioning": versioning, "objects": objects}

    def _read_object(self, s3: Any, bucket: str, key: str, fingerprint: dict[str, Any]) -> dict[str, Any]:
        answer = s3.get_object(Bucket=bucket, Key=key)
        body = answer["Body"].read()
        digest = hashlib.sha256(body).hexdigest()
        path = self.objects / digest
        if not path.is_file():
            self.objects.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{digest}.{threading.get_ident()}.tmp")
            temporary.write_bytes(body)
            os.replace(temporary, path)
        headers = {name: answer[name] for name in KEPT_HEADERS if answer.get(name)}
        return {"digest": digest, "headers": headers, "listed": fingerprint}

    def _restore_bucket(self, s3: Any, name: str, bucket: dict[str, Any]) -> None:
        try:
            s3.head_bucket(Bucket=name)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) not in _MISSING:
                raise
            region = bucket.get("region") or "us-east-1"
            location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=name, **location)
            if bucket.get("versioning"):
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": bucket["versioning"]})
        objects = bucket.get("objects", {})
        for key, entry in objects.items():
            body = (self.objects / entry["digest"]).read_bytes()
            s3.put_object(Bucket=name, Key=key, Body=body, **entry.get("headers", {}))
        for listed in _listing(s3, name):  # the same objects, listed with the dates S3 gave them now
            entry = objects.get(listed["Key"])
            if entry is not None and (entry["listed"]["ETag"], entry["listed"]["Size"]) == (
                listed["ETag"],
                listed["Size"],
            ):
                entry["listed"]["LastModified"] = str(listed["LastModified"])

    # -- the index -------------------------------------------------------------------------------

    def _read_index(self) -> dict[str, dict[str, Any]]:
        try:
            index = json.loads(self.index_file.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            logger.warning("the S3 index %s is unreadable, so no S3 object is restored: %s", self.index_file, exc)
            return {}
        return index if isinstance(index, dict) else {}

    def _write_index(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.index_file.with_name(f".buckets.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps(self._buckets, indent=1, sort_keys=True))
        os.replace(temporary, self.index_file)
        held = {entry["digest"] for bucket in self._buckets.values() for entry in bucket.get("objects", {}).values()}
        if self.objects.is_dir():
            for path in self.objects.iterdir():
                if path.name not in held and not path.name.startswith("."):
                    path.unlink(missing_ok=True)


def _listing(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """Every current object of ``bucket``, as ListObjectsV2 lists it."""
    listed: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        listed += page.get("Contents", [])
    return listed
