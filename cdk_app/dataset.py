"""``LookoutVisionDataset``: a project's train or test dataset, from a Ground Truth manifest in S3."""

from __future__ import annotations

from typing import Any, Literal

from aws_cdk import CustomResource, Duration, RemovalPolicy, Token
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk_app import _validation
from cdk_app.project import ProjectLike, project_literal_name, project_name_property
from cdk_app.provider_function import LookoutVisionProvider
from provider import consts

DatasetType = Literal["train", "test"]
_DATASET_TYPES = ("train", "test")


class LookoutVisionDataset(Construct):
    """A ``Custom::LookoutVisionDataset``: CreateDataset on create, DeleteDataset on delete.

    The service refuses to delete a project that still has datasets, so declaring the datasets
    as resources is what lets ``cdk destroy`` remove the project afterwards. A dataset that is
    already gone counts as deleted.

    :param project: the project, by name or as a ``CfnProject`` (then the dataset depends on it).
    :param dataset_type: ``"train"`` or ``"test"``. A project with only a train dataset lets the
        service split it for testing.
    :param manifest_bucket: the bucket holding the Ground Truth manifest. The provider function's
        policy lets the service read the manifest object only (CreateDataset), and locate the bucket.
    :param manifest_key: the manifest's object key.
    :param manifest_version: the manifest object's version id. Default: the latest version.
    :param images_bucket: the bucket holding the images the manifest lists, which the service reads
        when it trains a model of the project (CreateModel). Default: ``manifest_bucket``.
    :param images_prefix: the key prefix under which those images are; the policy lets the service
        read objects under it only. An S3 key prefix as the service accepts one, without ``*`` (IAM
        would read it as a wildcard). Default: the manifest's folder (``manifest_key`` up to its last
        ``/``; the whole bucket for a manifest at the root); required when ``manifest_key`` is known
        only at deploy time.
    :param service_timeout: CloudFormation's deadline for each Create, Update and Delete of this
        resource, in whole seconds from 1 s to 1 hour (the most a custom resource allows): a
        dataset whose import from the manifest takes longer fails. The provider reports the
        failure shortly before it. Default: 1 hour.
    :param removal_policy: ``DESTROY`` (default) deletes the dataset with the resource;
        ``RETAIN`` leaves it (and then the project cannot be deleted either).
    :param orphan_when_service_unavailable: ``True``: once Lookout for Vision is gone (end of
        support, 2025-10-31), a Delete succeeds and leaves the dataset behind with a WARNING in the
        provider's log; ``False`` (default): such a Delete fails, saying how to go on. As for
        ``LookoutVisionModel``. Default: ``False``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project: ProjectLike,
        dataset_type: DatasetType,
        manifest_bucket: s3.IBucket,
        manifest_key: str,
        manifest_version: str | None = None,
        images_bucket: s3.IBucket | None = None,
        images_prefix: str | None = None,
        service_timeout: Duration = Duration.hours(1),  # noqa: B008 (immutable value)
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        orphan_when_service_unavailable: bool = False,
    ) -> None:
        super().__init__(scope, id)
        name = "LookoutVisionDataset"
        if dataset_type not in _DATASET_TYPES:
            raise ValueError(f"{name} {self.node.path}: dataset_type must be 'train' or 'test', not {dataset_type!r}")
        _validation.check_removal_policy(f"{name} {self.node.path}", removal_policy)
        _validation.check_service_timeout(f"{name} {self.node.path}", service_timeout)
        _validation.check_boolean(
            f"{name} {self.node.path}", orphan_when_service_unavailable, "orphan_when_service_unavailable"
        )
        project_name = project_name_property(project)
        _validation.check(name, "CreateDataset", (consts.PROJECT_NAME,), project_literal_name(project), "project")
        s3_object = ("DatasetSource", "GroundTruthManifest", "S3Object")
        _validation.check(name, "CreateDataset", (*s3_object, "Key"), manifest_key, "manifest_key")
        _validation.check(name, "CreateDataset", (*s3_object, "VersionId"), manifest_version, "manifest_version")
        images_prefix = _images_prefix(f"{name} {self.node.path}", manifest_key, images_prefix)

        self.project = project
        self.dataset_type: DatasetType = dataset_type
        self.project_name = project_name

        s3_location: dict[str, Any] = {"Bucket": manifest_bucket.bucket_name, "Key": manifest_key}
        if manifest_version is not None:
            s3_location["VersionId"] = manifest_version
        provider = LookoutVisionProvider.of(self)
        rights = provider.project_policy(project)
        rights.grant_manifest_read(manifest_bucket, manifest_key, manifest_version)
        rights.grant_images_read(images_bucket or manifest_bucket, images_prefix)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=consts.DATASET_RESOURCE_TYPE,
            service_timeout=service_timeout,
            removal_policy=removal_policy,
            properties={
                consts.PROJECT_NAME: project_name,
                consts.DATASET_TYPE: dataset_type,
                consts.DATASET_SOURCE: {"GroundTruthManifest": {"S3Object": s3_location}},
                **_validation.orphan_property(orphan_when_service_unavailable),
            },
        )
        provider.depend(self.resource, project)
        if removal_policy != RemovalPolicy.DESTROY:
            _validation.warn_if_project_destroyed(self, project, "dataset")
        self.node.default_child = self.resource.node.default_child  # the CfnResource, for escape hatches


def _images_prefix(where: str, manifest_key: str, images_prefix: str | None) -> str:
    """``images_prefix`` checked, or the default: the manifest's folder."""
    if images_prefix is not None:
        _validation.check_key_prefix(where, images_prefix, "images_prefix")
        return images_prefix
    if Token.is_unresolved(manifest_key):
        raise ValueError(
            f"{where}: images_prefix is required when manifest_key is known only at deploy time "
            "(its default is the manifest's folder)"
        )
    folder, slash, _ = manifest_key.rpartition("/")
    return folder + slash
