"""Synth-time checks of construct props against the service model (lookoutvision_cdk_provider.servicemodel).

Values that are still CDK tokens (known only at deploy time) are skipped: the provider checks them
again when CloudFormation hands them over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Annotations, CfnDeletionPolicy, Duration, RemovalPolicy, Token
from aws_cdk import aws_lookoutvision as lookoutvision
from botocore.model import Shape, StructureShape
from constructs import Construct

from lookoutvision_cdk_provider import consts, servicemodel


def is_token(value: Any) -> bool:
    """True when ``value`` (or any string inside it) is only known at deploy time."""
    if isinstance(value, Mapping):
        return any(is_token(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_token(item) for item in value)
    return Token.is_unresolved(value)


def member_shape(operation: str, *path: str) -> Shape:
    """The shape at ``path`` inside an operation's input, e.g. ("OutputConfig", "S3Location", "Prefix")."""
    shape: Shape | None = servicemodel.operation_model(operation).input_shape
    for name in path:
        if not isinstance(shape, StructureShape):
            raise KeyError(f"{operation} has no input member {'.'.join(path)}")
        shape = shape.members[name]
    assert shape is not None
    return shape


def check(construct: str, operation: str, path: tuple[str, ...], value: Any, prop: str) -> None:
    """Raise ValueError if ``value`` breaks the service's constraint for ``operation``'s ``path``.

    ``prop`` names the construct prop in the message, so the user knows what to change.
    """
    if value is None or is_token(value):
        return
    violations = servicemodel.validate(member_shape(operation, *path), value, ".".join(path))
    if violations:
        detail = "; ".join(str(v) for v in violations)
        raise ValueError(f"{construct}: invalid {prop}: {detail} (as {operation} would refuse it)")


_REMOVAL_POLICIES = (RemovalPolicy.DESTROY, RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)


def check_removal_policy(construct: str, policy: RemovalPolicy) -> None:
    """Custom resources have no snapshot: only DESTROY and the RETAIN variants apply."""
    if policy not in _REMOVAL_POLICIES:
        raise ValueError(f"{construct}: removal_policy {policy} does not apply; use DESTROY or RETAIN")


# What else the warning of a project deleted with the stack advises, by how the model or dataset is kept.
_KEPT_ADVICE = {"retained": " too", "referenced": ", or delete the dataset before the stack"}


def warn_if_project_destroyed(construct: Construct, project: Any, what: str, *, kept: str = "retained") -> None:
    """Warn when a model or dataset that the stack does not delete (``kept``: ``retained``, ``referenced``) sits
    in a ``CfnProject`` that the stack deletes."""
    if not isinstance(project, lookoutvision.CfnProject):
        return
    policy = project.cfn_options.deletion_policy
    if policy is None or policy == CfnDeletionPolicy.DELETE:
        Annotations.of(construct).add_warning_v2(
            f"lookoutvision:{kept}{what.capitalize()}InDeletedProject",
            f"The {what} is {kept} (the stack does not delete it) but its project {project.node.path} is deleted "
            f"with the stack; the service refuses to delete a project that still has a {what}, so stack deletion "
            f"would fail. Retain the project{_KEPT_ADVICE.get(kept, '')}.",
        )


def check_boolean(construct: str, value: Any, prop: str) -> None:
    """Raise TypeError unless ``value`` is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{construct}: {prop} must be True or False, not {value!r}")


def orphan_property(orphan_when_service_unavailable: bool) -> dict[str, Any]:
    """The OrphanWhenServiceUnavailable property, rendered only when set (absent means false)."""
    return {consts.ORPHAN_WHEN_SERVICE_UNAVAILABLE: True} if orphan_when_service_unavailable else {}


def check_service_timeout(construct: str, service_timeout: Duration) -> None:
    """Raise ValueError unless ``service_timeout`` is whole seconds within CloudFormation's 1 s to 1 hour."""
    check_instance(construct, service_timeout, "service_timeout", Duration, "a Duration")
    seconds = service_timeout.to_seconds(integral=False)
    in_range = consts.SERVICE_TIMEOUT_MIN <= seconds <= consts.SERVICE_TIMEOUT_MAX
    if not Token.is_unresolved(seconds) and (seconds != int(seconds) or not in_range):
        raise ValueError(
            f"{construct}: service_timeout is {seconds:g} s; CloudFormation accepts whole seconds "
            f"from {consts.SERVICE_TIMEOUT_MIN} s to {consts.SERVICE_TIMEOUT_MAX} s"
        )


def check_key_prefix(construct: str, value: Any, prop: str) -> None:
    """Raise unless ``value`` is an S3 key prefix as the service accepts one (its S3KeyPrefix), without ``*``.

    The prefix becomes part of an IAM resource (``<bucket>/<prefix>*``), where IAM reads ``*`` as a
    wildcard that would grant more than the prefix.
    """
    if is_token(value):
        return
    if not isinstance(value, str):
        raise TypeError(f"{construct}: {prop} must be a string, not {value!r}")
    shape = member_shape("CreateModel", consts.OUTPUT_CONFIG, "S3Location", "Prefix")
    violations = servicemodel.validate(shape, value, prop)
    if violations:
        detail = "; ".join(str(v) for v in violations)
        raise ValueError(f"{construct}: invalid {prop}: {detail} (the service's constraint on an S3 key prefix)")
    if "*" in value:
        raise ValueError(
            f"{construct}: invalid {prop} {value!r}: '*' is not allowed (in the IAM policy's resource it would be "
            "a wildcard and grant more than the prefix)"
        )


def check_instance(construct: str, value: Any, prop: str, expected: type | tuple[type, ...], what: str) -> None:
    """Raise TypeError unless ``value`` is an instance of ``expected`` (``what`` names it in the message)."""
    if not isinstance(value, expected):
        raise TypeError(f"{construct}: {prop} must be {what}, not {value!r}")


def check_string(construct: str, value: Any, prop: str) -> None:
    """Raise TypeError unless ``value`` is a string (a token that stands for one included)."""
    check_instance(construct, value, prop, str, "a string")


def check_bucket(construct: str, value: Any, prop: str) -> None:
    """Raise TypeError unless ``value`` is an S3 bucket as the CDK gives one (an ``s3.IBucket``).

    jsii interfaces support no ``isinstance``: a bucket is recognised by the members the constructs use.
    """
    if not all(hasattr(type(value), member) for member in ("bucket_name", "bucket_arn", "arn_for_objects")):
        raise TypeError(
            f"{construct}: {prop} must be an s3.IBucket (an s3.Bucket, or s3.Bucket.from_bucket_name(...)), "
            f"not {value!r}"
        )


def check_key(construct: str, value: Any, prop: str) -> None:
    """Raise TypeError unless ``value`` is a KMS key as the CDK gives one (a ``kms.IKey``)."""
    if not all(hasattr(type(value), member) for member in ("key_arn", "key_id")):
        raise TypeError(
            f"{construct}: {prop} must be a kms.IKey (a kms.Key, or kms.Key.from_key_arn(...)), not {value!r}"
        )
