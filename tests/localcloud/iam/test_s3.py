"""S3 judges a local function's requests by its role: the operation, its action and resource, and S3's refusal."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from lookoutvision_localcloud.cloud import LocalCloud
from lookoutvision_localcloud.iam import s3
from tests.fixtures.role_function import policy

BUCKET = "iam-bucket"


def needed(method: str, path: str, query: str = "", body: bytes = b"", **headers: str) -> list[tuple[str, str]]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "RAW_URI": quote(path) + (f"?{query}" if query else ""),
        "QUERY_STRING": query,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    return [(permission.action, permission.resource) for permission in s3.permissions(environ, body)]


def test_each_request_needs_the_action_the_reference_links_to_its_operation() -> None:
    assert needed("GET", "/b/k/x.manifest") == [("s3:GetObject", "arn:aws:s3:::b/k/x.manifest")]
    assert needed("HEAD", "/b/k") == [("s3:GetObject", "arn:aws:s3:::b/k")]
    assert needed("GET", "/b/k", "versionId=3") == [("s3:GetObjectVersion", "arn:aws:s3:::b/k")]
    assert needed("GET", "/b", "list-type=2&prefix=out/") == [("s3:ListBucket", "arn:aws:s3:::b")]
    assert needed("GET", "/b", "location") == [("s3:GetBucketLocation", "arn:aws:s3:::b")]
    assert needed("GET", "/b", "encryption") == [("s3:GetEncryptionConfiguration", "arn:aws:s3:::b")]
    assert needed("GET", "/") == [("s3:ListAllMyBuckets", "*")]
    assert needed("PUT", "/b/new", x_amz_copy_source="/src/old") == [
        ("s3:PutObject", "arn:aws:s3:::b/new"),
        ("s3:GetObject", "arn:aws:s3:::src/old"),
    ]
    delete = b"<Delete><Object><Key>a</Key></Object><Object><Key>b/c</Key></Object></Delete>"
    assert needed("POST", "/b", "delete", delete) == [
        ("s3:DeleteObject", "arn:aws:s3:::b/a"),
        ("s3:DeleteObject", "arn:aws:s3:::b/b/c"),
    ]
    assert needed("POST", "/b", "delete", b"<Delete") == [("s3:DeleteObject", "arn:aws:s3:::b/*")]


def test_list_bucket_carries_its_prefix_as_a_condition_key() -> None:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/b", "RAW_URI": "/b?prefix=out/", "QUERY_STRING": "prefix=out/"}
    [permission] = s3.permissions(environ)
    assert permission.context.get("s3:prefix") == ["out/"]
    assert permission.context.knows("s3:delimiter") and permission.context.get("s3:delimiter") is None


def test_a_function_reads_what_its_role_allows_and_gets_s3s_access_denied_otherwise(
    iam_cloud: LocalCloud, role_function: Any
) -> None:
    admin = iam_cloud.client("s3")
    admin.create_bucket(Bucket=BUCKET)
    admin.put_object(Bucket=BUCKET, Key="manifests/train.manifest", Body=b"{}")
    admin.put_object(Bucket=BUCKET, Key="secret.txt", Body=b"no")
    function = role_function(
        policy(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/manifests/*"},
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{BUCKET}",
                "Condition": {"StringLike": {"s3:prefix": "manifests/*"}},
            },
        )
    )
    principal = f"arn:aws:sts::123456789012:assumed-role/{function.role_name}/{function.name}"
    read = function.call("s3", "get_object", Bucket=BUCKET, Key="manifests/train.manifest")
    assert read["result"]["Body"] == "{}"
    refused = function.call("s3", "get_object", Bucket=BUCKET, Key="secret.txt")
    assert refused["error"] == {
        "code": "AccessDenied",
        "status": 403,
        "message": f'User: {principal} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::{BUCKET}'
        '/secret.txt" because no identity-based policy allows the s3:GetObject action',
    }
    listed = function.call("s3", "list_objects_v2", Bucket=BUCKET, Prefix="manifests/")
    assert [item["Key"] for item in listed["result"]["Contents"]] == ["manifests/train.manifest"]
    assert function.call("s3", "list_objects_v2", Bucket=BUCKET)["error"]["code"] == "AccessDenied"  # no prefix
    written = function.call("s3", "put_object", Bucket=BUCKET, Key="manifests/new", Body="x")
    assert written["error"]["code"] == "AccessDenied"
    assert "manifests/new" not in [item["Key"] for item in admin.list_objects_v2(Bucket=BUCKET)["Contents"]]
