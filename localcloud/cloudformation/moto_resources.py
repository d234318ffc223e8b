"""Resources created for real in moto's server: IAM roles and inline policies, log groups, S3 buckets."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.cloudformation.cloud import LocalCloud
from localcloud.cloudformation.handlers import physical_name
from localcloud.cloudformation.intrinsics import StackContext
from localcloud.cloudformation.records import Mode, RequestType, ResourceOutcome, ResourceRecord, ResourceRequest

Created = tuple[str, dict[str, Any]]
_GONE = {"NoSuchEntity", "ResourceNotFoundException", "NoSuchBucket", "NoSuchBucketPolicy"}


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _create_role(cloud: LocalCloud, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    iam = cloud.client("iam")
    name = name or props.get("RoleName") or physical_name(request.stack, request.logical_id)
    extra: dict[str, Any] = {key: props[key] for key in ("Path", "Description", "MaxSessionDuration") if key in props}
    if "Tags" in props:
        extra["Tags"] = props["Tags"]
    role = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=_document(props["AssumeRolePolicyDocument"]), **extra
    )
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=_document(policy["PolicyDocument"])
        )
    for policy_arn in props.get("ManagedPolicyArns", []):
        try:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchEntity":  # an AWS managed policy moto lacks
                raise
    return name, {"Arn": role["Role"]["Arn"], "RoleId": role["Role"]["RoleId"]}


def _delete_role(cloud: LocalCloud, request: ResourceRequest) -> None:
    iam = cloud.client("iam")
    name = request.physical_id
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        if policy_name in {p["PolicyName"] for p in request.properties.get("Policies", [])}:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def _create_policy(cloud: LocalCloud, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    iam = cloud.client("iam")
    for role in props.get("Roles", []):
        iam.put_role_policy(
            RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=_document(props["PolicyDocument"])
        )
    return name or physical_name(request.stack, request.logical_id), {}


def _delete_policy(cloud: LocalCloud, request: ResourceRequest) -> None:
    iam = cloud.client("iam")
    for role in request.properties.get("Roles", []):
        try:
            iam.delete_role_policy(RoleName=role, PolicyName=request.properties["PolicyName"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in _GONE:
                raise


def _create_log_group(cloud: LocalCloud, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    logs = cloud.client("logs")
    name = name or props.get("LogGroupName") or physical_name(request.stack, request.logical_id, 512)
    logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    stack = request.stack
    return name, {"Arn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account_id}:log-group:{name}:*"}


def _delete_log_group(cloud: LocalCloud, request: ResourceRequest) -> None:
    cloud.client("logs").delete_log_group(logGroupName=request.physical_id)


def _create_bucket(cloud: LocalCloud, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    name = name or props.get("BucketName") or physical_name(request.stack, request.logical_id, 63, lowercase=True)
    region = request.stack.region
    s3 = cloud.client("s3")
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    suffix = request.stack.url_suffix
    return name, {
        "Arn": f"arn:{request.stack.partition}:s3:::{name}",
        "DomainName": f"{name}.s3.{suffix}",
        "RegionalDomainName": f"{name}.s3.{region}.{suffix}",
        "DualStackDomainName": f"{name}.s3.dualstack.{region}.{suffix}",
        "WebsiteURL": f"http://{name}.s3-website-{region}.{suffix}",
    }


def _delete_bucket(cloud: LocalCloud, request: ResourceRequest) -> None:
    cloud.client("s3").delete_bucket(Bucket=request.physical_id)  # a non-empty bucket fails, as on AWS


def _create_bucket_policy(cloud: LocalCloud, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    cloud.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=_document(props["PolicyDocument"]))
    return name or physical_name(request.stack, request.logical_id), {}


def _delete_bucket_policy(cloud: LocalCloud, request: ResourceRequest) -> None:
    cloud.client("s3").delete_bucket_policy(Bucket=request.properties["Bucket"])


def _update_role(cloud: LocalCloud, request: ResourceRequest) -> Created | None:
    props, old = request.properties, request.old_properties or {}
    name = request.physical_id
    if props.get("RoleName", name) != name or not name:
        return None
    iam = cloud.client("iam")
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=_document(props["AssumeRolePolicyDocument"]))
    new_policies = {p["PolicyName"]: p for p in props.get("Policies", [])}
    for policy in old.get("Policies", []):
        if policy["PolicyName"] not in new_policies:
            iam.delete_role_policy(RoleName=name, PolicyName=policy["PolicyName"])
    for policy_name, policy in new_policies.items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=_document(policy["PolicyDocument"]))
    for policy_arn in set(old.get("ManagedPolicyArns", [])) - set(props.get("ManagedPolicyArns", [])):
        iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
    role = iam.get_role(RoleName=name)["Role"]
    return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}


def _update_policy(cloud: LocalCloud, request: ResourceRequest) -> Created | None:
    old_request = dataclasses.replace(request, properties=request.old_properties or {})
    _delete_policy(cloud, old_request)
    return _create_policy(cloud, request, request.physical_id)


def _update_log_group(cloud: LocalCloud, request: ResourceRequest) -> Created | None:
    props = request.properties
    name = request.physical_id
    if props.get("LogGroupName", name) != name or not name:
        return None
    logs = cloud.client("logs")
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    else:
        logs.delete_retention_policy(logGroupName=name)
    stack = request.stack
    return name, {"Arn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account_id}:log-group:{name}:*"}


def _update_bucket(cloud: LocalCloud, request: ResourceRequest) -> Created | None:
    name = request.physical_id
    if request.properties.get("BucketName", name) != name or not name:
        return None
    return name, {}  # the engine keeps the attributes


def _update_bucket_policy(cloud: LocalCloud, request: ResourceRequest) -> Created | None:
    old = request.old_properties or {}
    if old.get("Bucket") and old.get("Bucket") != request.properties.get("Bucket"):
        _delete_bucket_policy(cloud, dataclasses.replace(request, properties=old))
    return _create_bucket_policy(cloud, request, request.physical_id)


# In place when possible; None: the change needs a replacement.
_UPDATES: dict[str, Callable[[LocalCloud, ResourceRequest], Created | None]] = {
    "AWS::IAM::Role": _update_role,
    "AWS::IAM::Policy": _update_policy,
    "AWS::Logs::LogGroup": _update_log_group,
    "AWS::S3::Bucket": _update_bucket,
    "AWS::S3::BucketPolicy": _update_bucket_policy,
}

_TYPES: dict[str, tuple[Callable[[LocalCloud, ResourceRequest, str | None], Created], Callable[..., None]]] = {
    "AWS::IAM::Role": (_create_role, _delete_role),
    "AWS::IAM::Policy": (_create_policy, _delete_policy),
    "AWS::Logs::LogGroup": (_create_log_group, _delete_log_group),
    "AWS::S3::Bucket": (_create_bucket, _delete_bucket),
    "AWS::S3::BucketPolicy": (_create_bucket_policy, _delete_bucket_policy),
}
RESOURCE_TYPES = frozenset(_TYPES)


class MotoHandler:
    """Creates and deletes the types above in moto; a later run re-creates them there before deleting."""

    mode = Mode.MOTO

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud

    def create(self, request: ResourceRequest) -> ResourceOutcome:
        create, _ = _TYPES[request.resource_type]
        try:
            physical_id, attributes = create(self._cloud, request, None)
        except (ClientError, BotoCoreError, KeyError, TypeError, ValueError) as exc:
            return ResourceOutcome.failed(self.mode, f"{request.resource_type} {request.logical_id}: {_message(exc)}")
        return ResourceOutcome(True, self.mode, physical_id, attributes)

    def update(self, request: ResourceRequest) -> ResourceOutcome:
        try:
            updated = _UPDATES[request.resource_type](self._cloud, request)
        except (ClientError, BotoCoreError, KeyError, TypeError, ValueError) as exc:
            return ResourceOutcome.failed(self.mode, f"{request.resource_type} {request.logical_id}: {_message(exc)}")
        if updated is None:
            return self.create(request)  # a replacement: the old one goes in the cleanup
        return ResourceOutcome(True, self.mode, updated[0], updated[1])

    def delete(self, request: ResourceRequest) -> ResourceOutcome:
        if not request.physical_id:
            return ResourceOutcome(True, self.mode, None, note="never created")
        _, delete = _TYPES[request.resource_type]
        try:
            delete(self._cloud, request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _GONE:
                return ResourceOutcome(True, self.mode, request.physical_id, note="already gone")
            return ResourceOutcome.failed(self.mode, _message(exc), request.physical_id)
        except (BotoCoreError, KeyError, TypeError, ValueError) as exc:
            return ResourceOutcome.failed(self.mode, _message(exc), request.physical_id)
        return ResourceOutcome(True, self.mode, request.physical_id)

    def restore(self, record: ResourceRecord, stack: StackContext) -> None:
        if record.mode is not Mode.MOTO or not record.physical_id:
            return
        create, _ = _TYPES[record.resource_type]
        request = ResourceRequest(
            request_type=RequestType.CREATE,
            logical_id=record.logical_id,
            resource_type=record.resource_type,
            properties=record.properties,
            stack=stack,
        )
        create(self._cloud, request, record.physical_id)


def _message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{exc.operation_name}: {error.get('Code')}: {error.get('Message')}"
    if isinstance(exc, KeyError):
        return f"Properties validation failed: required key [{exc.args[0]}] not found"
    return str(exc)
