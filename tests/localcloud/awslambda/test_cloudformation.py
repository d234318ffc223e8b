"""Where a function's handler runs from: its asset folder in the cloud assembly, under its runtime, or nowhere."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from lookoutvision_cdk.lambda_asset import PROVIDER_PACKAGE
from lookoutvision_cdk.provider_function import HANDLER
from lookoutvision_localcloud.awslambda.cloudformation import CodeLocation, asset_folder, locate_code
from lookoutvision_localcloud.serve import LocalCloudServer
from tests.fixtures.awslambda import HANDLERS_CODE
from tests.fixtures.local_cloud import local_client


def test_the_provider_runs_from_its_asset_even_when_installed_here(tmp_path: Path) -> None:
    (tmp_path / PROVIDER_PACKAGE).mkdir()
    (tmp_path / PROVIDER_PACKAGE / "__init__.pyc").write_bytes(b"")  # bytecode only counts too
    (tmp_path / PROVIDER_PACKAGE / "handler.py").write_text("def handler(event, context): pass\n")
    properties = {"Runtime": "python3.13", "Handler": HANDLER}
    assert locate_code(properties, tmp_path) == CodeLocation(HANDLER, str(tmp_path), "python3.13")


def test_a_user_function_runs_from_its_asset_under_its_runtime(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.pyc").write_bytes(b"")
    properties = {"Runtime": "python3.12", "Handler": "app.main.handler"}
    assert locate_code(properties, tmp_path) == CodeLocation("app.main.handler", str(tmp_path), "python3.12")


def test_functions_that_cannot_run_here_say_why(tmp_path: Path) -> None:
    assert "nodejs20.x cannot run locally" in str(locate_code({"Runtime": "nodejs20.x", "Handler": "index.h"}, None))
    assert "is not module.function" in str(locate_code({"Runtime": "python3.13", "Handler": "main"}, None))
    assert "code is not here" in str(locate_code({"Runtime": "python3.13", "Handler": "index.handler"}, None))
    installed_here = locate_code(
        {"Runtime": "python3.13", "Handler": "lookoutvision_cdk_provider.handler.handler"}, tmp_path
    )
    assert (
        installed_here == f"handler module lookoutvision_cdk_provider.handler is not in the function's asset {tmp_path}"
    )


def test_the_asset_folder_comes_from_the_metadata_or_else_from_the_assets_manifest(tmp_path: Path) -> None:
    code = {"S3Bucket": "cdk-assets", "S3Key": "abc123.zip"}
    manifest = {
        "files": {
            "abc123": {
                "source": {"path": "asset.abc123", "packaging": "zip"},
                "destinations": {"current": {"bucketName": "cdk-assets", "objectKey": "abc123.zip"}},
            },
            "tpl": {
                "source": {"path": "S.template.json", "packaging": "file"},
                "destinations": {"current": {"bucketName": "cdk-assets", "objectKey": "tpl.json"}},
            },
        }
    }
    (tmp_path / "S.assets.json").write_text(json.dumps(manifest))
    assert asset_folder(tmp_path, {"aws:asset:path": "asset.named"}, {"Code": code}) == tmp_path / "asset.named"
    assert asset_folder(tmp_path, {}, {"Code": code}) == tmp_path / "asset.abc123"  # synthesized in process
    assert asset_folder(tmp_path, {}, {"Code": {"S3Bucket": "b", "S3Key": "other.zip"}}) is None
    assert asset_folder(tmp_path, {}, {"Code": {"ZipFile": "def handler(e, c): pass"}}) is None


def _settled(cfn: Any, stack: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        if not described["StackStatus"].endswith("_IN_PROGRESS"):
            return described
        assert time.monotonic() < deadline, f"{stack} still {described['StackStatus']}"
        time.sleep(0.05)


def _ask(server: LocalCloudServer, function: str, service: str, operation: str, **params: Any) -> dict[str, Any]:
    """What the function answers when told to make one call with its own credentials (tests' handlers.call)."""
    event = json.dumps({"service": service, "operation": operation, "params": params})
    answer = local_client(server.endpoint_url, "lambda").invoke(FunctionName=function, Payload=event)
    result: dict[str, Any] = json.loads(answer["Payload"].read())
    return result


def test_a_function_calls_with_its_roles_session_and_still_does_after_a_restart(tmp_path: Path) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(HANDLERS_CODE / "handlers.py", "handlers.py")
    lists_buckets = {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                    "Policies": [
                        {"PolicyName": "L", "PolicyDocument": {"Version": "2012-10-17", "Statement": [lists_buckets]}}
                    ],
                },
            },
            "Caller": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "caller",
                    "Runtime": "python3.13",
                    "Handler": "handlers.call",
                    "Timeout": 300,
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"S3Bucket": "code", "S3Key": "handlers.zip"},
                },
            },
        }
    }
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as first:
        s3 = local_client(first.endpoint_url, "s3")
        s3.create_bucket(Bucket="code")
        s3.put_object(Bucket="code", Key="handlers.zip", Body=archive.getvalue())
        cfn = local_client(first.endpoint_url, "cloudformation")
        body = json.dumps(template)
        stack_id = cfn.create_stack(StackName="Calling", TemplateBody=body, Capabilities=["CAPABILITY_IAM"])["StackId"]
        assert _settled(cfn, stack_id)["StackStatus"] == "CREATE_COMPLETE"
        [role] = [
            r
            for r in cfn.describe_stack_resources(StackName="Calling")["StackResources"]
            if r["LogicalResourceId"] == "Role"
        ]
        principal = f"arn:aws:sts::123456789012:assumed-role/{role['PhysicalResourceId']}/caller"
        assert _ask(first, "caller", "sts", "get_caller_identity")["result"]["Arn"] == principal
        assert "Buckets" in _ask(first, "caller", "s3", "list_buckets")["result"]
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as second:  # the function is restored
        assert _ask(second, "caller", "sts", "get_caller_identity")["result"]["Arn"] == principal
        assert "Buckets" in _ask(second, "caller", "s3", "list_buckets")["result"]
        denied = _ask(second, "caller", "s3", "list_objects_v2", Bucket="code")
        assert denied["error"]["code"] == "AccessDenied"
        assert denied["error"]["message"].startswith(f"User: {principal} is not authorized")
        cfn = local_client(second.endpoint_url, "cloudformation")
        cfn.delete_stack(StackName="Calling")
        assert _settled(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def _code(*extra: str) -> bytes:
    """The test handlers zipped as a function's code, with ``extra`` empty files (another asset)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(HANDLERS_CODE / "handlers.py", "handlers.py")
        for name in extra:
            zipped.writestr(name, "")
    return archive.getvalue()


def _two_functions(code_a: str, code_b: str) -> str:
    """A stack of two functions under one role, running the test handlers from the S3 objects ``code_a``, ``code_b``."""
    role = {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}
    resources: dict[str, Any] = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
                "Policies": [{"PolicyName": "P", "PolicyDocument": {"Version": "2012-10-17", "Statement": [role]}}],
            },
        }
    }
    for name, key in (("a", code_a), ("b", code_b)):
        resources[name.upper()] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": f"unzipped-{name}",
                "Runtime": "python3.13",
                "Handler": "handlers.echo",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": "code", "S3Key": key},
            },
        }
    return json.dumps({"Resources": resources})


IAM = {"Capabilities": ["CAPABILITY_IAM"]}


def test_unzipped_code_stays_while_a_function_runs_it_and_goes_with_the_last(tmp_path: Path) -> None:
    functions = tmp_path / "functions"
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as first:
        s3 = local_client(first.endpoint_url, "s3")
        s3.create_bucket(Bucket="code")
        s3.put_object(Bucket="code", Key="v1.zip", Body=_code())
        s3.put_object(Bucket="code", Key="v2.zip", Body=_code("v2"))
        cfn = local_client(first.endpoint_url, "cloudformation")
        created = cfn.create_stack(StackName="Unzipped", TemplateBody=_two_functions("v1.zip", "v1.zip"), **IAM)
        stack_id = created["StackId"]
        assert _settled(cfn, stack_id)["StackStatus"] == "CREATE_COMPLETE"
        [v1] = list(functions.iterdir())  # the same code, unzipped once
        cfn.update_stack(StackName="Unzipped", TemplateBody=_two_functions("v2.zip", "v1.zip"), **IAM)
        assert _settled(cfn, stack_id)["StackStatus"] == "UPDATE_COMPLETE"
        [v2] = [directory for directory in functions.iterdir() if directory != v1]
        assert (v2 / "v2").is_file() and v1.is_dir()  # function b still runs v1
        cfn.update_stack(StackName="Unzipped", TemplateBody=_two_functions("v2.zip", "v2.zip"), **IAM)
        assert _settled(cfn, stack_id)["StackStatus"] == "UPDATE_COMPLETE"
        assert list(functions.iterdir()) == [v2]  # v1 went with the last function that ran it
    (functions / "0123456789abcdef").mkdir()  # left by a function deleted while serve was stopped
    (functions / ".0123456789abcdef-unzipping").mkdir()  # an unzipping cut short
    with LocalCloudServer(state_dir=tmp_path, port=0, time_scale=0.01) as second:
        assert list(functions.iterdir()) == [v2]  # what no restored function runs is gone
        answer = local_client(second.endpoint_url, "lambda").invoke(FunctionName="unzipped-a", Payload=b"{}")
        assert answer["StatusCode"] == 200 and "FunctionError" not in answer
        cfn = local_client(second.endpoint_url, "cloudformation")
        cfn.delete_stack(StackName=stack_id)
        assert _settled(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
        assert list(functions.iterdir()) == []
        assert second.leftovers(["Unzipped"])["clean"]
        v2.mkdir()  # as if its Delete had left it: the leftover check names it
        problems = second.leftovers(["Unzipped"])["stacks"]["Unzipped"]["problems"]
        assert sorted(problems) == [f"Unzipped code of Lambda function unzipped-{name}: {v2}" for name in ("a", "b")]
