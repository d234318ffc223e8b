"""A Lambda function's code as a directory, from where CloudFormation reads it: the S3 object the CDK CLI published.

``Code: {S3Bucket, S3Key[, S3ObjectVersion]}`` is read from the local cloud's S3 (moto, in process)
and unzipped into a directory of its own under the local cloud's code directory, named by the
object's digest (the same asset deployed twice is unzipped once, and a later run finds it there).
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from localcloud.cloudformation.errors import LocalCloudFormationError

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud


class FunctionCodeError(LocalCloudFormationError):
    """The function's code cannot be read (no such object, not a zip file)."""


def code_from_s3(cloud: LocalCloud, properties: dict[str, Any]) -> Path | None:
    """The directory holding the function's unzipped S3 code; None when ``Code`` names no S3 object."""
    code = properties.get("Code")
    if not isinstance(code, dict) or not code.get("S3Bucket") or not code.get("S3Key"):
        return None
    bucket, key = str(code["S3Bucket"]), str(code["S3Key"])
    version = {"VersionId": str(code["S3ObjectVersion"])} if code.get("S3ObjectVersion") else {}
    try:
        body = cloud.client("s3").get_object(Bucket=bucket, Key=key, **version)["Body"].read()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise FunctionCodeError(
            f"Error occurred while GetObject. S3 Error Code: {error.get('Code')}. S3 Error Message: "
            f"{error.get('Message')} (s3://{bucket}/{key})"
        ) from exc
    cloud.code_directory.mkdir(parents=True, exist_ok=True)
    target = cloud.code_directory / hashlib.sha256(body).hexdigest()[:32]
    if not target.is_dir():
        unzip(body, target, f"s3://{bucket}/{key}")
    return target


def unzip(archive: bytes, target: Path, origin: str) -> None:
    """Extract ``archive`` into ``target`` (complete or not at all: extracted beside it, then renamed)."""
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            zipped.extractall(work)  # drops absolute paths and '..' from member names
        work.rename(target)
    except (zipfile.BadZipFile, OSError) as exc:
        if not target.is_dir():  # unless another function unzipped the same code meanwhile
            raise FunctionCodeError(f"Could not unzip uploaded file {origin}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
