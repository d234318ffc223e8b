"""S3's buckets and objects kept in ``serve``'s state directory: written as they change, put back after a restart."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from lookoutvision_localcloud.s3_state import requested_object
from lookoutvision_localcloud.serve import LocalCloudServer
from tests.fixtures.local_cloud import local_client

# A stack whose bucket is versioned: after a restart the stack creates it again, with its configuration.
STACK_TEMPLATE = {
    "Resources": {
        "Versioned": {
            "Type": "AWS::S3::Bucket",
            "Properties": {"BucketName": "stack-bucket", "VersioningConfiguration": {"Status": "Enabled"}},
        }
    }
}


def _settled(cfn: Any, stack: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
        if not status.endswith("_IN_PROGRESS"):
            return status
        assert time.monotonic() < deadline, f"{stack} still {status}"
        time.sleep(0.05)


def test_a_request_names_a_bucket_and_a_key_by_its_path() -> None:
    assert requested_object({"RAW_URI": "/data/images/a%20b.png?tagging"}) == ("data", "images/a b.png")
    assert requested_object({"PATH_INFO": "/data", "RAW_URI": "/data?versioning"}) == ("data", None)
    assert requested_object({"PATH_INFO": "/", "RAW_URI": "/"}) == (None, None)


def test_buckets_and_objects_outlive_a_restart_of_serve(tmp_path: Path) -> None:
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as first:
        s3 = local_client(first.endpoint_url, "s3")
        s3.create_bucket(Bucket="data")
        s3.put_object(Bucket="data", Key="manifests/train.manifest", Body=b"old", ContentType="application/json")
        s3.put_object(
            Bucket="data",
            Key="manifests/train.manifest",
            Body=b'{"source-ref": "s3://data/a.png"}\n',
            ContentType="application/json",
            Metadata={"owner": "line-1"},
        )
        s3.put_object(Bucket="data", Key="images/a.png", Body=b"\x89PNG same bytes")
        s3.put_object(Bucket="data", Key="images/copy.png", Body=b"\x89PNG same bytes")
        s3.put_object(Bucket="data", Key="gone.txt", Body=b"deleted before the restart")
        s3.delete_object(Bucket="data", Key="gone.txt")
        for key in ("batch/1", "batch/2"):
            s3.put_object(Bucket="data", Key=key, Body=key.encode())
        s3.delete_objects(Bucket="data", Delete={"Objects": [{"Key": "batch/1"}, {"Key": "batch/2"}]})
        s3.create_bucket(Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_versioning(Bucket="elsewhere", VersioningConfiguration={"Status": "Enabled"})
        s3.create_bucket(Bucket="emptied")
        s3.delete_bucket(Bucket="emptied")
        cfn = local_client(first.endpoint_url, "cloudformation")
        stack_id = cfn.create_stack(StackName="Holder", TemplateBody=json.dumps(STACK_TEMPLATE))["StackId"]
        assert _settled(cfn, stack_id) == "CREATE_COMPLETE"
        s3.put_object(Bucket="stack-bucket", Key="asset.zip", Body=b"PK asset")
        with contextlib.suppress(s3.exceptions.NoSuchBucket):  # a request S3 refuses changes nothing
            s3.put_object(Bucket="no-such-bucket", Key="k", Body=b"x")
    kept = json.loads((tmp_path / "s3" / "buckets.json").read_text())
    assert sorted(kept) == ["data", "elsewhere", "stack-bucket"]
    bodies = {path.read_bytes() for path in (tmp_path / "s3" / "objects").iterdir()}
    assert bodies == {b'{"source-ref": "s3://data/a.png"}\n', b"\x89PNG same bytes", b"PK asset"}  # each body once

    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as second:
        s3 = local_client(second.endpoint_url, "s3")
        assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == ["data", "elsewhere", "stack-bucket"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="data")["Contents"]]
        assert keys == ["images/a.png", "images/copy.png", "manifests/train.manifest"]
        manifest = s3.get_object(Bucket="data", Key="manifests/train.manifest")
        assert manifest["Body"].read() == b'{"source-ref": "s3://data/a.png"}\n'
        assert (manifest["ContentType"], manifest["Metadata"]) == ("application/json", {"owner": "line-1"})
        assert s3.get_object(Bucket="data", Key="images/copy.png")["Body"].read() == b"\x89PNG same bytes"
        assert s3.get_bucket_location(Bucket="elsewhere")["LocationConstraint"] == "eu-west-1"
        assert s3.get_bucket_versioning(Bucket="elsewhere")["Status"] == "Enabled"
        assert s3.get_bucket_versioning(Bucket="stack-bucket")["Status"] == "Enabled"  # the stack's, created again
        assert s3.get_object(Bucket="stack-bucket", Key="asset.zip")["Body"].read() == b"PK asset"

        versions = s3.list_object_versions(Bucket="stack-bucket")  # emptied, so that the stack can delete it
        for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            s3.delete_object(Bucket="stack-bucket", Key=version["Key"], VersionId=version["VersionId"])
        cfn = local_client(second.endpoint_url, "cloudformation")
        cfn.delete_stack(StackName="Holder")
        assert _settled(cfn, stack_id) == "DELETE_COMPLETE"
    kept = json.loads((tmp_path / "s3" / "buckets.json").read_text())
    assert sorted(kept) == ["data", "elsewhere"]
    assert b"PK asset" not in {path.read_bytes() for path in (tmp_path / "s3" / "objects").iterdir()}
