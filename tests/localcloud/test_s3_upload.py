"""Objects put into the local S3 as a user puts them: buckets made when missing, folders read as keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.s3_upload import parse_target, read_folder, upload, write_folder
from tests.fixtures.local_cloud import local_client


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=0.01) as running:
        yield running


def test_upload_creates_missing_buckets_and_puts_every_object(cloud: LocalCloud) -> None:
    s3 = local_client(cloud.endpoint_url, "s3")
    s3.create_bucket(Bucket="already-there")
    objects = {"already-there": {"a.txt": b"a"}, "made-now": {"x/image.png": b"\x89PNG", "x/y.manifest": b"{}"}}
    assert upload(s3, objects) == 3
    assert s3.get_object(Bucket="already-there", Key="a.txt")["Body"].read() == b"a"
    image = s3.get_object(Bucket="made-now", Key="x/image.png")
    assert (image["Body"].read(), image["ContentType"]) == (b"\x89PNG", "image/png")
    assert s3.get_object(Bucket="made-now", Key="x/y.manifest")["Body"].read() == b"{}"


def test_a_folder_is_read_back_as_the_keys_it_was_written_from(tmp_path: Path) -> None:
    objects = {"datasets/train/train.manifest": b"{}\n", "datasets/train/images/n-1.png": b"png"}
    write_folder(tmp_path / "data", objects)
    assert (tmp_path / "data" / "datasets" / "train" / "images" / "n-1.png").read_bytes() == b"png"
    assert read_folder(tmp_path / "data") == objects
    assert read_folder(tmp_path / "data" / "datasets", "copy/") == {
        "copy/train/train.manifest": b"{}\n",
        "copy/train/images/n-1.png": b"png",
    }
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        read_folder(tmp_path / "missing")


@pytest.mark.parametrize(
    ("target", "expected"),
    [("s3://bucket", ("bucket", "")), ("s3://bucket/", ("bucket", "")), ("s3://b/p/q", ("b", "p/q/"))],
)
def test_targets_name_a_bucket_and_a_prefix(target: str, expected: tuple[str, str]) -> None:
    assert parse_target(target) == expected


@pytest.mark.parametrize("target", ["bucket", "s3://", "s3:///key", "https://bucket/key"])
def test_a_target_that_is_not_an_s3_location_is_refused(target: str) -> None:
    with pytest.raises(ValueError, match="not an S3 location"):
        parse_target(target)
