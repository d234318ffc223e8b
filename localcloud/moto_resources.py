"""Resources played for real in moto (in process): IAM roles, policies and managed policies, log groups, S3 buckets
and their policies, SSM parameters, ECR repositories, KMS keys and aliases, through the local cloud's clients."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.records import (
    RequestType,
    ResourceDrift,
    ResourceOutcome,
    ResourceRecord,
    ResourceRequest,
)
from lookoutvision_localcloud.cloudformation.resources import ResourceHandler, existence_drift, physical_name


class Clients(Protocol):
    """The local cloud, as the source of its services' clients."""

    def client(self, service: str) -> Any: ...


Created = tuple[str, dict[str, Any]]
_GONE = {
    "NoSuchEntity",
    "ResourceNotFoundException",
    "NoSuchBucket",
    "NoSuchBucketPolicy",
    "ParameterNotFound",
    "RepositoryNotFoundException",
    "NotFoundException",
}


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _create_role(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
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


def _delete_role(cloud: Clients, request: ResourceRequest) -> None:
    iam = cloud.client("iam")
    name = request.physical_id
    for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        if policy_name in {p["PolicyName"] for p in request.properties.get("Policies", [])}:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def _create_policy(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    iam = cloud.client("iam")
    for role in props.get("Roles", []):
        iam.put_role_policy(
            RoleName=role, PolicyName=props["PolicyName"], PolicyDocument=_document(props["PolicyDocument"])
        )
    return name or physical_name(request.stack, request.logical_id), {}


def _delete_policy(cloud: Clients, request: ResourceRequest) -> None:
    iam = cloud.client("iam")
    for role in request.properties.get("Roles", []):
        try:
            iam.delete_role_policy(RoleName=role, PolicyName=request.properties["PolicyName"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in _GONE:
                raise


def _create_log_group(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    logs = cloud.client("logs")
    name = name or props.get("LogGroupName") or physical_name(request.stack, request.logical_id, 512)
    logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in props:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(props["RetentionInDays"]))
    stack = request.stack
    return name, {"Arn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account_id}:log-group:{name}:*"}


def _delete_log_group(cloud: Clients, request: ResourceRequest) -> None:
    cloud.client("logs").delete_log_group(logGroupName=request.physical_id)


def _create_bucket(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    name = name or props.get("BucketName") or physical_name(request.stack, request.logical_id, 63, lowercase=True)
    region = request.stack.region
    s3 = cloud.client("s3")
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    _configure_bucket(s3, name, props)
    suffix = request.stack.url_suffix
    return name, {
        "Arn": f"arn:{request.stack.partition}:s3:::{name}",
        "DomainName": f"{name}.s3.{suffix}",
        "RegionalDomainName": f"{name}.s3.{region}.{suffix}",
        "DualStackDomainName": f"{name}.s3.dualstack.{region}.{suffix}",
        "WebsiteURL": f"http://{name}.s3-website-{region}.{suffix}",
    }


def _configure_bucket(s3: Any, name: str, props: dict[str, Any]) -> None:
    """The bucket's encryption, versioning, public access block, lifecycle and tags, as the template says."""
    if "BucketEncryption" in props:
        rules = [
            {  # CloudFormation's ServerSideEncryptionByDefault is S3's ApplyServerSideEncryptionByDefault
                **({"BucketKeyEnabled": _boolean(rule["BucketKeyEnabled"])} if "BucketKeyEnabled" in rule else {}),
                "ApplyServerSideEncryptionByDefault": rule.get("ServerSideEncryptionByDefault", {}),
            }
            for rule in props["BucketEncryption"].get("ServerSideEncryptionConfiguration", [])
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration=props["VersioningConfiguration"])
    if "PublicAccessBlockConfiguration" in props:
        block = {key: _boolean(value) for key, value in props["PublicAccessBlockConfiguration"].items()}
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    if props.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": props["Tags"]})


def _boolean(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _delete_bucket(cloud: Clients, request: ResourceRequest) -> None:
    cloud.client("s3").delete_bucket(Bucket=request.physical_id)  # a non-empty bucket fails, as on AWS


def _create_bucket_policy(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    policy = enforceable_policy(props["PolicyDocument"])
    cloud.client("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(policy))
    return name or physical_name(request.stack, request.logical_id), {}


def enforceable_policy(document: Any) -> dict[str, Any]:
    """A bucket policy as moto can enforce it: without its conditional Deny statements.

    moto ignores a statement's Condition, so a Deny meant for some requests denies them all: the
    bootstrap bucket's and ``enforce_ssl``'s ``Deny s3:* if aws:SecureTransport is false`` would refuse
    every upload. Every request to the local cloud stands for an HTTPS one, so such statements never
    apply here; they are left out of what moto holds.
    """
    policy = json.loads(document) if isinstance(document, str) else dict(document)
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    policy["Statement"] = [s for s in statements if not (s.get("Effect") == "Deny" and s.get("Condition"))]
    return policy


def _delete_bucket_policy(cloud: Clients, request: ResourceRequest) -> None:
    cloud.client("s3").delete_bucket_policy(Bucket=request.properties["Bucket"])


def _update_role(cloud: Clients, request: ResourceRequest) -> Created | None:
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


def _update_policy(cloud: Clients, request: ResourceRequest) -> Created | None:
    old_request = dataclasses.replace(request, properties=request.old_properties or {})
    _delete_policy(cloud, old_request)
    return _create_policy(cloud, request, request.physical_id)


def _update_log_group(cloud: Clients, request: ResourceRequest) -> Created | None:
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


def _update_bucket(cloud: Clients, request: ResourceRequest) -> Created | None:
    name = request.physical_id
    if request.properties.get("BucketName", name) != name or not name:
        return None
    _configure_bucket(cloud.client("s3"), name, request.properties)
    return name, {}  # the engine keeps the attributes


def _update_bucket_policy(cloud: Clients, request: ResourceRequest) -> Created | None:
    old = request.old_properties or {}
    if old.get("Bucket") and old.get("Bucket") != request.properties.get("Bucket"):
        _delete_bucket_policy(cloud, dataclasses.replace(request, properties=old))
    return _create_bucket_policy(cloud, request, request.physical_id)


def _create_managed_policy(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    iam = cloud.client("iam")
    policy_name = props.get("ManagedPolicyName") or physical_name(request.stack, request.logical_id, 128)
    extra = {key: props[key] for key in ("Path", "Description") if key in props}
    arn = (
        name
        or iam.create_policy(PolicyName=policy_name, PolicyDocument=_document(props["PolicyDocument"]), **extra)[
            "Policy"
        ]["Arn"]
    )
    for role in props.get("Roles", []):
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    return arn, {"PolicyArn": arn}


def _delete_managed_policy(cloud: Clients, request: ResourceRequest) -> None:
    iam = cloud.client("iam")
    for role in request.properties.get("Roles", []):
        try:
            iam.detach_role_policy(RoleName=role, PolicyArn=request.physical_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in _GONE:
                raise
    iam.delete_policy(PolicyArn=request.physical_id)


def _create_parameter(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    name = name or props.get("Name") or physical_name(request.stack, request.logical_id, 128)
    extra = {key: props[key] for key in ("Description", "AllowedPattern", "Tier", "DataType") if key in props}
    cloud.client("ssm").put_parameter(
        Name=name, Value=str(props["Value"]), Type=props.get("Type", "String"), Overwrite=True, **extra
    )
    return name, {"Type": props.get("Type", "String"), "Value": str(props["Value"])}


def _delete_parameter(cloud: Clients, request: ResourceRequest) -> None:
    cloud.client("ssm").delete_parameter(Name=request.physical_id)


def _create_repository(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    ecr = cloud.client("ecr")
    name = name or props.get("RepositoryName") or physical_name(request.stack, request.logical_id, 256, lowercase=True)
    extra: dict[str, Any] = {
        key: props[key] for key in ("ImageTagMutability", "ImageScanningConfiguration") if key in props
    }
    repository = ecr.create_repository(repositoryName=name, **_lower_first(extra))["repository"]
    if props.get("LifecyclePolicy", {}).get("LifecyclePolicyText"):
        ecr.put_lifecycle_policy(
            repositoryName=name, lifecyclePolicyText=props["LifecyclePolicy"]["LifecyclePolicyText"]
        )
    if "RepositoryPolicyText" in props:
        ecr.set_repository_policy(repositoryName=name, policyText=_document(props["RepositoryPolicyText"]))
    return name, {"Arn": repository["repositoryArn"], "RepositoryUri": repository["repositoryUri"]}


def _lower_first(values: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ``ImageTagMutability`` is ECR's ``imageTagMutability``."""
    return {key[0].lower() + key[1:]: value for key, value in values.items()}


def _delete_repository(cloud: Clients, request: ResourceRequest) -> None:
    cloud.client("ecr").delete_repository(
        repositoryName=request.physical_id, force=bool(request.properties.get("EmptyOnDelete"))
    )


def _create_key(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    kms = cloud.client("kms")
    extra: dict[str, Any] = {key: props[key] for key in ("Description", "KeyUsage", "KeySpec") if key in props}
    if "KeyPolicy" in props:
        extra["Policy"] = _document(props["KeyPolicy"])
    key = kms.describe_key(KeyId=name)["KeyMetadata"] if name else kms.create_key(**extra)["KeyMetadata"]
    return key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]}


def _delete_key(cloud: Clients, request: ResourceRequest) -> None:
    days = int(request.properties.get("PendingWindowInDays", 30))
    cloud.client("kms").schedule_key_deletion(KeyId=request.physical_id, PendingWindowInDays=days)


def _create_alias(cloud: Clients, request: ResourceRequest, name: str | None) -> Created:
    props = request.properties
    if name is None:
        cloud.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    return props["AliasName"], {}


def _delete_alias(cloud: Clients, request: ResourceRequest) -> None:
    cloud.client("kms").delete_alias(AliasName=request.physical_id)


# In place when possible; None: the change needs a replacement.
def _update_parameter(cloud: Clients, request: ResourceRequest) -> Created | None:
    if request.properties.get("Name", request.physical_id) != request.physical_id:
        return None
    return _create_parameter(cloud, request, request.physical_id)


def _replace(cloud: Clients, request: ResourceRequest) -> Created | None:
    return None  # any change: a new physical resource, the old one deleted in the cleanup


_UPDATES: dict[str, Callable[[Clients, ResourceRequest], Created | None]] = {
    "AWS::IAM::Role": _update_role,
    "AWS::IAM::Policy": _update_policy,
    "AWS::Logs::LogGroup": _update_log_group,
    "AWS::S3::Bucket": _update_bucket,
    "AWS::S3::BucketPolicy": _update_bucket_policy,
    "AWS::SSM::Parameter": _update_parameter,
    "AWS::IAM::ManagedPolicy": _replace,
    "AWS::ECR::Repository": _replace,
    "AWS::KMS::Key": _replace,
    "AWS::KMS::Alias": _replace,
}

_TYPES: dict[str, tuple[Callable[[Clients, ResourceRequest, str | None], Created], Callable[..., None]]] = {
    "AWS::IAM::Role": (_create_role, _delete_role),
    "AWS::IAM::Policy": (_create_policy, _delete_policy),
    "AWS::IAM::ManagedPolicy": (_create_managed_policy, _delete_managed_policy),
    "AWS::Logs::LogGroup": (_create_log_group, _delete_log_group),
    "AWS::S3::Bucket": (_create_bucket, _delete_bucket),
    "AWS::S3::BucketPolicy": (_create_bucket_policy, _delete_bucket_policy),
    "AWS::SSM::Parameter": (_create_parameter, _delete_parameter),
    "AWS::ECR::Repository": (_create_repository, _delete_repository),
    "AWS::KMS::Key": (_create_key, _delete_key),
    "AWS::KMS::Alias": (_create_alias, _delete_alias),
}
RESOURCE_TYPES = frozenset(_TYPES)


class MotoHandler(ResourceHandler):
    """Creates and deletes the types above in moto; a later run re-creates them there before deleting."""

    mode = "moto"
    plays = "the IAM, S3, SSM, ECR, KMS and CloudWatch Logs types moto serves"

    def __init__(self, cloud: Clients) -> None:
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
        if record.mode != self.mode or not record.physical_id:
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

    def existing(self, record: ResourceRecord) -> list[str]:
        return [f"{record.resource_type} {record.physical_id}"] if exists(self._cloud, record) else []

    def drift(self, record: ResourceRecord) -> ResourceDrift:
        return existence_drift(self.existing(record))


def _message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{exc.operation_name}: {error.get('Code')}: {error.get('Message')}"
    if isinstance(exc, KeyError):
        return f"Properties validation failed: required key [{exc.args[0]}] not found"
    return str(exc)


def _bucket_policy_exists(cloud: Clients, record: ResourceRecord) -> bool:
    cloud.client("s3").get_bucket_policy(Bucket=record.properties["Bucket"])
    return True


def _inline_policy_exists(cloud: Clients, record: ResourceRecord) -> bool:
    iam = cloud.client("iam")
    name = record.properties["PolicyName"]
    return any(
        name in iam.list_role_policies(RoleName=role)["PolicyNames"] for role in record.properties.get("Roles", [])
    )


def _log_group_exists(cloud: Clients, record: ResourceRecord) -> bool:
    groups = cloud.client("logs").describe_log_groups(logGroupNamePrefix=record.physical_id)["logGroups"]
    return any(group["logGroupName"] == record.physical_id for group in groups)


def _key_exists(cloud: Clients, record: ResourceRecord) -> bool:
    state = cloud.client("kms").describe_key(KeyId=record.physical_id)["KeyMetadata"]["KeyState"]
    return state not in ("PendingDeletion", "PendingReplicaDeletion")


def _alias_exists(cloud: Clients, record: ResourceRecord) -> bool:
    aliases = cloud.client("kms").list_aliases()["Aliases"]
    return any(alias["AliasName"] == record.physical_id for alias in aliases)


def _found(call: Callable[[Clients, str], Any]) -> Callable[[Clients, ResourceRecord], bool]:
    def exists(cloud: Clients, record: ResourceRecord) -> bool:
        call(cloud, str(record.physical_id))
        return True

    return exists


# Whether a recorded resource still exists in moto (a ClientError saying it is gone means no).
_EXISTS: dict[str, Callable[[Clients, ResourceRecord], bool]] = {
    "AWS::IAM::Role": _found(lambda cloud, name: cloud.client("iam").get_role(RoleName=name)),
    "AWS::IAM::Policy": _inline_policy_exists,
    "AWS::IAM::ManagedPolicy": _found(lambda cloud, arn: cloud.client("iam").get_policy(PolicyArn=arn)),
    "AWS::Logs::LogGroup": _log_group_exists,
    "AWS::S3::Bucket": _found(lambda cloud, name: cloud.client("s3").head_bucket(Bucket=name)),
    "AWS::S3::BucketPolicy": _bucket_policy_exists,
    "AWS::SSM::Parameter": _found(lambda cloud, name: cloud.client("ssm").get_parameter(Name=name)),
    "AWS::ECR::Repository": _found(
        lambda cloud, name: cloud.client("ecr").describe_repositories(repositoryNames=[name])
    ),
    "AWS::KMS::Key": _key_exists,
    "AWS::KMS::Alias": _alias_exists,
}


def exists(cloud: Clients, record: ResourceRecord) -> bool:
    """Whether the physical resource ``record`` names is still in moto."""
    try:
        return _EXISTS[record.resource_type](cloud, record)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code"))
        if code in _GONE or code in ("404", "NoSuchKey"):
            return False
        raise
