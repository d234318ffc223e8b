"""Objects put into S3 as a user puts them (``aws s3 mb`` and ``aws s3 sync``), through a botocore client.

The local cloud's own tools use it to hold the data a stack reads before the stack is deployed:
``make demo`` on ``serve``'s endpoint, ``deploy --upload`` and ``up --upload`` on their local cloud.
A folder maps to keys by its files' relative paths (``/`` separators) under a prefix.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Bucket → key → body.
S3Objects = Mapping[str, Mapping[str, bytes]]


def read_folder(folder: Path, prefix: str = "") -> dict[str, bytes]:
    """Key → body of every file under ``folder``, keyed ``prefix`` + its path relative to ``folder``."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    files = [path for path in sorted(folder.rglob("*")) if path.is_file()]
    return {prefix + path.relative_to(folder).as_posix(): path.read_bytes() for path in files}


def write_folder(folder: Path, objects: Mapping[str, bytes]) -> None:
    """Write each object as a file under ``folder`` at its key's path (what ``read_folder`` reads back)."""
    for key, body in objects.items():
        path = folder.joinpath(*key.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)


def parse_target(text: str) -> tuple[str, str]:
    """``s3://BUCKET[/PREFIX]`` → (bucket, prefix); a non-empty prefix ends with ``/``."""
    if not text.startswith("s3://") or not text[len("s3://") :].split("/", 1)[0]:
        raise ValueError(f"not an S3 location: {text!r} (expected s3://BUCKET or s3://BUCKET/PREFIX)")
    bucket, _, prefix = text[len("s3://") :].partition("/")
    return bucket, prefix if not prefix or prefix.endswith("/") else f"{prefix}/"


def upload(s3: Any, objects: S3Objects) -> int:
    """Create each bucket that does not exist (in the client's region), then put its objects; the objects put."""
    region = s3.meta.region_name
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    count = 0
    for bucket, bodies in objects.items():
        if bucket not in existing:
            location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=bucket, **location)
        for key, body in bodies.items():
            content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
            count += 1
    return count
