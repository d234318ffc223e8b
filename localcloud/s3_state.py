"""The local S3's buckets and objects, kept in a state directory so that they outlive a restart of ``serve``.

``S3State`` writes, after every request that S3 answered with success and that may have changed it
(any method but GET and HEAD), what the request names — its object (``/bucket/key``), else its
bucket, else every bucket — into its directory: ``buckets.json`` (each bucket's region and
versioning, and per key the digest of its current version's body, the headers it is stored with and
the ETag, size and date S3 gives it) and ``objects/<sha256>`` (each body once; a body no key holds
any more is removed). The request is answered once that is written. ``restore`` puts everything
back into a fresh S3, after the stacks' own buckets were created again with their configuration: a
missing bucket is created (with its versioning), every object put with its headers; changes are
written from then on, so that what the stacks create again before it does not overwrite what is
kept (docs/decisions/0131-state-across-restarts.md). Only each key's current version is kept (not
older versions, version ids, tags or ACLs), and of a bucket no live stack holds, only its region
and versioning.
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
_MISSING = frozenset({"404", "NoSuchBucket", "NoSuchKey", "NotFound"})


def requested_object(environ: WSGIEnvironment) -> tuple[str | None, str | None]:
    """The bucket and the key a path-style S3 request names (``/bucket/key``); None for what its path does not name."""
    path = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO") or "/")
    bucket, _, key = path.split("?", 1)[0].lstrip("/").partition("/")
    return unquote(bucket) or None, unquote(key) or None


def fingerprint(etag: str, size: int, last_modified: Any) -> dict[str, Any]:
    """What tells one stored version from another, alike from a listing and from GetObject's answer."""
    return {"ETag": etag, "Size": int(size), "LastModified": int(last_modified.timestamp())}


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING


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
                bucket, key = requested_object(environ)
                if bucket is not None and key is not None:
                    self.save_object(bucket, key)
                else:
                    self.save([bucket] if bucket is not None else None)
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
            released: set[str] = set()
            for name in names:
                try:
                    released |= self._save_bucket(s3, name)
                except (ClientError, BotoCoreError, OSError) as exc:
                    logger.warning("S3 bucket %s not kept in %s: %s", name, self.directory, exc)
            self._write_index(released)

    def save_object(self, bucket: str, key: str) -> None:
        """Write ``key``'s current version (or that it is gone) as S3 holds it now; its whole bucket if new here."""
        with self._lock:
            kept = self._buckets.get(bucket)
            if kept is None:
                self.save([bucket])
                return
            try:
                entry: dict[str, Any] | None = self._read_object(self._s3(), bucket, key)
            except ClientError as exc:
                if not _missing(exc):
                    logger.warning("S3 object s3://%s/%s not kept in %s: %s", bucket, key, self.directory, exc)
                    return
                entry = None
            except (BotoCoreError, OSError) as exc:
                logger.warning("S3 object s3://%s/%s not kept in %s: %s", bucket, key, self.directory, exc)
                return
            old = kept["objects"].pop(key, None)
            if entry is not None:
                kept["objects"][key] = entry
            self._write_index({old["digest"]} if old else set())

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
            stored = set(path.name for path in self.objects.iterdir()) if self.objects.is_dir() else set()
            self._write_index(stored)  # and what a stopped serve left unreferenced
            self._recording.set()
        return warnings

    # -- one bucket, one object ------------------------------------------------------------------

    def _save_bucket(self, s3: Any, name: str) -> set[str]:
        """Keep bucket ``name`` as S3 holds it (forget it if gone); the digests its objects held before."""
        kept = self._buckets.get(name, {}).get("objects", {})
        before = {entry["digest"] for entry in kept.values()}
        try:
            region = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        except ClientError as exc:
            if _missing(exc):
                self._buckets.pop(name, None)
                return before
            raise
        objects: dict[str, Any] = {}
        for listed in _listing(s3, name):
            key = listed["Key"]
            entry = kept.get(key)
            if entry is None or entry["listed"] != fingerprint(listed["ETag"], listed["Size"], listed["LastModified"]):
                entry = self._read_object(s3, name, key)
            objects[key] = entry
        versioning = s3.get_bucket_versioning(Bucket=name).get("Status")
        self._buckets[name] = {"region": region, "versioning": versioning, "objects": objects}
        return before

    def _read_object(self, s3: Any, bucket: str, key: str) -> dict[str, Any]:
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
        listed = fingerprint(answer["ETag"], answer["ContentLength"], answer["LastModified"])
        return {"digest": digest, "headers": headers, "listed": listed}

    def _restore_bucket(self, s3: Any, name: str, bucket: dict[str, Any]) -> None:
        try:
            s3.head_bucket(Bucket=name)
        except ClientError as exc:
            if not _missing(exc):
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
        for listed in _listing(s3, name):  # the same objects, with the dates S3 gave them now
            entry = objects.get(listed["Key"])
            now = fingerprint(listed["ETag"], listed["Size"], listed["LastModified"])
            if entry is not None and (entry["listed"]["ETag"], entry["listed"]["Size"]) == (now["ETag"], now["Size"]):
                entry["listed"] = now

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

    def _write_index(self, released: set[str]) -> None:
        """Write the index, then remove the bodies of ``released`` digests that no key holds any more."""
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.index_file.with_name(f".buckets.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps(self._buckets, sort_keys=True))
        os.replace(temporary, self.index_file)
        held = {entry["digest"] for bucket in self._buckets.values() for entry in bucket.get("objects", {}).values()}
        for digest in released - held:
            (self.objects / digest).unlink(missing_ok=True)


def _listing(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """Every current object of ``bucket``, as ListObjectsV2 lists it."""
    listed: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        listed += page.get("Contents", [])
    return listed
