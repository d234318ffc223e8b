"""The service's own S3 reads, made with the caller's rights: CreateDataset's manifest, CreateModel's images and output.

IAM judges each access as the caller's, through the service (``aws:ViaAWSService``): CreateDataset
needs ``s3:GetBucketLocation`` on the manifest's bucket and ``s3:GetObject`` on the manifest (also
``s3:GetObjectVersion`` with a VersionId); CreateModel ``s3:GetBucketLocation`` and ``s3:PutObject``
on its output, and ``s3:GetObject`` on every image the datasets list, each a PNG or JPEG within the
service's image quotas (8 MB, each side 64 to 4096 pixels), all of the same dimensions. Objects
come from an ``ObjectStore``. A refusal, a missing object or an image out of quota is no error of the
call: it becomes the dataset's CREATE_FAILED or the model's TRAINING_FAILED status message. The
administrator is not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lookoutvision_localcloud.iam.caller import AccessDenied, Caller

from .images import MAX_DIMENSION, MAX_IMAGE_BYTES, MIN_DIMENSION, ImageHeader, NotAnImage, read_header
from .manifest import DatasetImport, ManifestError, ManifestImage, images_of, parse

SERVICE_PRINCIPAL = "lookoutvision.amazonaws.com"


class ObjectStoreError(Exception):
    """S3's answer to an access that failed: its error code (``NoSuchBucket``, ``NoSuchKey``, ``AccessDenied``,
    ...), its message and, for a refusal, the action refused."""

    def __init__(self, code: str, message: str, action: str | None = None) -> None:
        self.code, self.message, self.action = code, message, action
        super().__init__(self.cause)

    @property
    def cause(self) -> str:
        """``Code: message``, the action named first for a refusal (a short reason keeps it)."""
        return f"{self.code} on {self.action}: {self.message}" if self.action else f"{self.code}: {self.message}"


class ObjectStore(Protocol):
    """Where the service's reads go. Both methods raise ``ObjectStoreError`` with S3's error code."""

    def bucket_region(self, bucket: str) -> str: ...

    def get_object(self, bucket: str, key: str, version_id: str | None = None) -> bytes: ...


class ClientObjectStore:
    """An ``ObjectStore`` over a botocore S3 client, created on first use by ``client_factory``."""

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._client_factory = client_factory

    def bucket_region(self, bucket: str) -> str:
        answer = self._call("get_bucket_location", Bucket=bucket)
        return str(answer.get("LocationConstraint") or "us-east-1")  # S3 answers no constraint for us-east-1

    def get_object(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        version = {"VersionId": version_id} if version_id else {}
        body: bytes = self._call("get_object", Bucket=bucket, Key=key, **version)["Body"].read()
        return body

    def _call(self, method: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            return getattr(self._client_factory(), method)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ObjectStoreError(str(error.get("Code", "Error")), str(error.get("Message", ""))) from exc
        except BotoCoreError as exc:
            raise ObjectStoreError("InternalError", str(exc)) from exc


@dataclass(frozen=True)
class TrainingRead:
    """What CreateModel's reads found: why training fails (None: it can train), and the (width, height) of the
    images it trains on (None when it read none)."""

    problem: str | None = None
    image_size: tuple[int, int] | None = None


@dataclass(frozen=True)
class ServiceS3:
    """The service's S3 access on behalf of ``caller`` (None: the administrator), in ``region``."""

    store: ObjectStore
    caller: Caller | None
    region: str

    @classmethod
    def of(cls, store: ObjectStore, caller: Caller | None, region: str) -> ServiceS3:
        """Access for one call: the caller's policies are read once, as they are at the call."""
        if caller is not None:
            documents = tuple(caller.policies())
            caller = Caller(caller.principal, lambda: documents)
        return cls(store, caller, region)

    def import_manifest(self, location: Mapping[str, Any]) -> DatasetImport:
        """CreateDataset's read of ``location`` (``{Bucket, Key, VersionId?}``): the images, or why it failed."""
        bucket, key = str(location.get("Bucket", "")), str(location.get("Key", ""))
        version_id = location.get("VersionId")
        uri = f"s3://{bucket}/{key}"
        try:
            self._locate(bucket)
            self._authorize("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")
            if version_id:
                self._authorize("s3:GetObjectVersion", f"arn:aws:s3:::{bucket}/{key}")
            body = self.store.get_object(bucket, key, str(version_id) if version_id else None)
        except ObjectStoreError as error:
            return DatasetImport(failure=f"Failed to read the manifest file {uri}: {error.cause}")
        try:
            return DatasetImport(images=parse(body))
        except ManifestError as error:
            return DatasetImport(failure=f"The manifest file {uri} is not valid: {error}")

    def read_training(
        self, datasets: Mapping[str, Sequence[ManifestImage]], output_bucket: str, output_keys: Sequence[str]
    ) -> TrainingRead:
        """What training on ``datasets`` (type → images) with output to ``output_keys`` finds: why it would fail, or
        the dimensions of its images."""
        try:
            self._locate(output_bucket)
            for key in output_keys:
                self._authorize("s3:PutObject", f"arn:aws:s3:::{output_bucket}/{key}")
        except ObjectStoreError as error:
            return TrainingRead(f"Failed to write the training output to s3://{output_bucket}: {error.cause}")
        first: tuple[ManifestImage, ImageHeader] | None = None
        for dataset_type, image in images_of(datasets):
            try:
                self._authorize("s3:GetObject", f"arn:aws:s3:::{image.bucket}/{image.key}")
                body = self.store.get_object(image.bucket, image.key)
            except ObjectStoreError as error:
                return TrainingRead(f"Failed to read image {image.uri} of the {dataset_type} dataset: {error.cause}")
            named = f"Image {image.uri} of the {dataset_type} dataset"
            try:
                header = read_header(body)
            except NotAnImage:
                return TrainingRead(f"{named} is not a PNG or JPEG image.")
            if len(body) > MAX_IMAGE_BYTES:
                return TrainingRead(f"{named} is {len(body)} bytes: an image may have at most 8 MB.")
            if not header.within_quota():
                return TrainingRead(
                    f"{named} is {header.dimensions}: each side of an image must be from {MIN_DIMENSION} to "
                    f"{MAX_DIMENSION} pixels."
                )
            if first is None:
                first = (image, header)
            elif (header.width, header.height) != (first[1].width, first[1].height):
                return TrainingRead(
                    f"{named} is {header.dimensions}, image {first[0].uri} {first[1].dimensions}: the images of a "
                    "project must all have the same dimensions."
                )
        return TrainingRead(image_size=None if first is None else (first[1].width, first[1].height))

    def _locate(self, bucket: str) -> None:
        """``s3:GetBucketLocation``: the bucket must exist, in the service's region."""
        self._authorize("s3:GetBucketLocation", f"arn:aws:s3:::{bucket}")
        region = self.store.bucket_region(bucket)
        if region != self.region:
            message = f"The bucket {bucket} is in {region}, not in {self.region}, the service's region."
            raise ObjectStoreError("InvalidBucketRegion", message)

    def _authorize(self, action: str, resource: str) -> None:
        if self.caller is None:
            return
        try:
            self.caller.authorize(action, resource, via_service=SERVICE_PRINCIPAL)
        except AccessDenied as denied:
            raise ObjectStoreError("AccessDenied", denied.quoted_message, denied.action) from denied
