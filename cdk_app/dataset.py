"""A project's train or test dataset: ``LookoutVisionDataset`` creates one from a Ground Truth manifest in S3,
``LookoutVisionDataset.from_dataset_attributes`` references one the stack does not own; a model takes either
(``ILookoutVisionDataset``)."""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

import jsii
from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_s3 as s3
from constructs import Construct, IValidation, Node

from lookoutvision_cdk import _validation
from lookoutvision_cdk.project import (
    ProjectLike,
    check_project,
    known_same_project,
    project_label,
    project_literal_name,
    project_name_property,
)
from lookoutvision_cdk.provider_function import LookoutVisionProvider
from lookoutvision_cdk_provider import consts

DatasetType = Literal["train", "test"]
_DATASET_TYPES = ("train", "test")


@runtime_checkable
class ILookoutVisionDataset(Protocol):
    """What a ``LookoutVisionModel`` needs of a dataset it trains on or is tested with.

    A dataset the stack declares (``LookoutVisionDataset``) or one it references
    (``LookoutVisionDataset.from_dataset_attributes``). A model takes datasets of its own project,
    of the type its prop names, and lets CreateModel read the images under ``images_prefix`` in
    ``images_bucket``.
    """

    @property
    def node(self) -> Node:
        """The construct's node: its path names the dataset in synth-time errors."""
        ...

    @property
    def project(self) -> ProjectLike:
        """The dataset's project, by name or as a ``CfnProject``."""
        ...

    @property
    def dataset_type(self) -> DatasetType:
        """``"train"`` or ``"test"``."""
        ...

    @property
    def images_bucket(self) -> s3.IBucket:
        """The bucket holding the images the dataset's manifest lists."""
        ...

    @property
    def images_prefix(self) -> str:
        """The key prefix under which those images are (``""``: the whole bucket)."""
        ...


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

    A dataset that exists already, outside the stack, is referenced rather than declared:
    :meth:`from_dataset_attributes`.
    """

    @staticmethod
    def from_dataset_attributes(
        scope: Construct,
        id: str,
        *,
        project: ProjectLike,
        dataset_type: DatasetType,
        images_bucket: s3.IBucket,
        images_prefix: str,
    ) -> ILookoutVisionDataset:
        """A dataset the stack does not own, for a model to train on (``training_dataset``) or be tested with
        (``test_dataset``): the stack never creates, changes or deletes it, and the template holds no resource
        for it. Its props are checked at synth time; that it exists, the service checks when a model trains.

        :param project: the dataset's project, by name or as a ``CfnProject`` (a project the stack deletes
            would still hold this dataset: the synth warns).
        :param dataset_type: ``"train"`` or ``"test"``.
        :param images_bucket: the bucket holding the images the dataset's manifest lists. The provider
            function's policy lets the service read them there when it trains a model that uses the dataset
            (CreateModel), under ``images_prefix`` only.
        :param images_prefix: the key prefix under which those images are, ``""`` for the whole bucket. An
            S3 key prefix as the service accepts one, without ``*`` (IAM would read it as a wildcard).
        """
        return _ReferencedDataset(
            scope,
            id,
            project=project,
            dataset_type=dataset_type,
            images_bucket=images_bucket,
            images_prefix=images_prefix,
        )

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
        where = f"LookoutVisionDataset {self.node.path}"
        _check_dataset_type(where, dataset_type)
        _validation.check_removal_policy(where, removal_policy)
        _validation.check_service_timeout(where, service_timeout)
        _validation.check_boolean(where, orphan_when_service_unavailable, "orphan_when_service_unavailable")
        check_project(where, project)
        project_name = project_name_property(project)
        _validation.check(where, "CreateDataset", (consts.PROJECT_NAME,), project_literal_name(project), "project")
        _validation.check_bucket(where, manifest_bucket, "manifest_bucket")
        _validation.check_string(where, manifest_key, "manifest_key")
        s3_object = ("DatasetSource", "GroundTruthManifest", "S3Object")
        _validation.check(where, "CreateDataset", (*s3_object, "Key"), manifest_key, "manifest_key")
        _validation.check(where, "CreateDataset", (*s3_object, "VersionId"), manifest_version, "manifest_version")
        if images_bucket is not None:
            _validation.check_bucket(where, images_bucket, "images_bucket")
        images_prefix = _images_prefix(where, manifest_key, images_prefix)

        self.project = project
        self.dataset_type: DatasetType = dataset_type
        self.project_name = project_name
        self.images_bucket: s3.IBucket = images_bucket or manifest_bucket
        self.images_prefix: str = images_prefix

        s3_location: dict[str, Any] = {"Bucket": manifest_bucket.bucket_name, "Key": manifest_key}
        if manifest_version is not None:
            s3_location["VersionId"] = manifest_version
        provider = LookoutVisionProvider.of(self)
        rights = provider.project_policy(project)
        rights.grant_manifest_read(manifest_bucket, manifest_key, manifest_version)
        rights.grant_images_read(self.images_bucket, images_prefix)
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


class _ReferencedDataset(Construct):
    """A dataset that exists outside the stack (``LookoutVisionDataset.from_dataset_attributes``): no resource.

    It may not be one the stack declares too (checked at synth, once the whole app is built).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project: ProjectLike,
        dataset_type: DatasetType,
        images_bucket: s3.IBucket,
        images_prefix: str,
    ) -> None:
        super().__init__(scope, id)
        where = f"LookoutVisionDataset.from_dataset_attributes {self.node.path}"
        _check_dataset_type(where, dataset_type)
        check_project(where, project)
        _validation.check(where, "DescribeDataset", (consts.PROJECT_NAME,), project_literal_name(project), "project")
        _validation.check_bucket(where, images_bucket, "images_bucket")
        _validation.check_key_prefix(where, images_prefix, "images_prefix")
        self.project = project
        self.dataset_type: DatasetType = dataset_type
        self.images_bucket = images_bucket
        self.images_prefix = images_prefix
        _validation.warn_if_project_destroyed(self, project, "dataset", kept="referenced")
        self.node.add_validation(_NotDeclaredToo(self, where))


@jsii.implements(IValidation)
class _NotDeclaredToo:
    """At synth: the referenced dataset is not one that a ``LookoutVisionDataset`` of the same stack creates."""

    def __init__(self, reference: _ReferencedDataset, where: str) -> None:
        self._reference = reference
        self._where = where

    def validate(self) -> list[str]:
        reference = self._reference
        declared = [
            construct.node.path
            for construct in Stack.of(reference).node.find_all()
            if isinstance(construct, LookoutVisionDataset)
            and construct.dataset_type == reference.dataset_type
            and known_same_project(construct.project, reference.project)
        ]
        return [
            f"{self._where}: the {reference.dataset_type} dataset of project {project_label(reference.project)} is "
            f"declared by this stack as {path}: pass that LookoutVisionDataset instead of a reference"
            for path in declared
        ]


def _check_dataset_type(where: str, dataset_type: Any) -> None:
    if dataset_type not in _DATASET_TYPES:
        raise ValueError(f"{where}: dataset_type must be 'train' or 'test', not {dataset_type!r}")
