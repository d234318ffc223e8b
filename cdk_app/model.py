"""``LookoutVisionModel``: a trained (and optionally hosted) model version as a CloudFormation resource."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import CustomResource, Duration, RemovalPolicy, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lookoutvision_cdk import _validation
from lookoutvision_cdk.dataset import ILookoutVisionDataset
from lookoutvision_cdk.project import (
    ProjectLike,
    check_project,
    project_label,
    project_literal_name,
    project_name_property,
    same_project,
)
from lookoutvision_cdk.provider_function import LookoutVisionProvider
from lookoutvision_cdk_provider import consts


@dataclass(frozen=True)
class Hosting:
    """Keep the trained model hosted (StartModel) with this many inference units.

    :param min_inference_units: inference units always running (at least 1).
    :param max_inference_units: the ceiling for the service's auto-scaling. Default: no scaling
        (the service keeps ``min_inference_units``).
    """

    min_inference_units: int
    max_inference_units: int | None = None


class LookoutVisionModel(Construct):
    """A ``Custom::LookoutVisionModel``: one model version of a project, trained on deploy.

    Create trains a new model version (CreateModel) and waits for it; with ``hosting`` it then
    starts the model (StartModel). Delete stops a hosted model, deletes the version and waits until
    the service no longer lists it, so CloudFormation can then delete the datasets and the project.

    With ``removal_policy=RemovalPolicy.RETAIN`` the resource gets ``DeletionPolicy: Retain``:
    CloudFormation sends no Delete and the model version stays, hosted or not, and keeps costing
    while hosted. The project then cannot be deleted either: retain it too.

    :param project: the project, by name or as a ``CfnProject`` (then the model depends on it).
    :param training_dataset: the project's train dataset, declared by the stack (the model depends
        on it) or referenced (``LookoutVisionDataset.from_dataset_attributes``). The provider
        function's policy lets the service read its images (CreateModel).
    :param test_dataset: the project's test dataset, declared or referenced, as ``training_dataset``.
        Default: none (the service splits the train dataset).
    :param output_bucket: where training writes its output. The provider function's policy lets
        the service write there under ``output_prefix`` only (``s3:PutObject``), and locate the bucket.
    :param output_prefix: key prefix for the training output. Default: the bucket's root.
    :param description: the model description (1 to 500 of ``[0-9A-Za-z.-_]``, no spaces).
        Default: none.
    :param kms_key: a customer managed key to encrypt the model. Default: an AWS owned key.
    :param tags: tags of the model version. Default: none.
    :param hosting: start the model after training. Default: not hosted.
    :param service_timeout: CloudFormation's deadline for each Create, Update and Delete of this
        resource, in whole seconds from 1 s to 1 hour (the most a custom resource allows: a training
        that takes longer fails). The provider reports the failure shortly before it. Default: 1 hour.
    :param removal_policy: ``DESTROY`` (default) stops and deletes the model version on stack
        deletion or replacement; ``RETAIN`` keeps it (see above).
    :param orphan_when_service_unavailable: what a Delete does once Lookout for Vision is gone (its
        support ended on 2025-10-31: every call is refused with an end-of-support AccessDenied, or
        the endpoint no longer answers). ``False`` (default): the Delete fails, saying so and how
        to go on. ``True``: the Delete succeeds and leaves the model version as it is (orphaned),
        with a WARNING in the provider's log naming the model ARN. A plain AccessDenied (a
        missing permission) still fails. With the service already gone, set it and deploy: an
        update that changes only this prop (or ``service_timeout``) then succeeds without the
        service. Default: ``False``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project: ProjectLike,
        training_dataset: ILookoutVisionDataset,
        test_dataset: ILookoutVisionDataset | None = None,
        output_bucket: s3.IBucket,
        output_prefix: str | None = None,
        description: str | None = None,
        kms_key: kms.IKey | None = None,
        tags: Mapping[str, str] | None = None,
        hosting: Hosting | None = None,
        service_timeout: Duration = Duration.hours(1),  # noqa: B008 (immutable value)
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        orphan_when_service_unavailable: bool = False,
    ) -> None:
        super().__init__(scope, id)
        check_project(f"LookoutVisionModel {self.node.path}", project)
        project_name = project_name_property(project)
        self._validate(project, training_dataset, test_dataset, hosting, service_timeout)
        self._check_prop_types(output_bucket, kms_key, tags)
        _validation.check_removal_policy(f"LookoutVisionModel {self.node.path}", removal_policy)
        _validation.check_boolean(
            f"LookoutVisionModel {self.node.path}", orphan_when_service_unavailable, "orphan_when_service_unavailable"
        )
        tag_list = [{"Key": key, "Value": value} for key, value in sorted((tags or {}).items())]
        self._check("CreateModel", (consts.PROJECT_NAME,), project_literal_name(project), "project")
        self._check("CreateModel", (consts.DESCRIPTION,), description, "description")
        self._check("CreateModel", (consts.OUTPUT_CONFIG, "S3Location", "Prefix"), output_prefix, "output_prefix")
        self._check("CreateModel", (consts.TAGS,), tag_list, "tags")

        self.project = project
        self.training_dataset = training_dataset
        self.test_dataset = test_dataset

        provider = LookoutVisionProvider.of(self)
        rights = provider.project_policy(project)
        rights.grant_output(output_bucket, output_prefix)
        for dataset in (training_dataset, test_dataset):  # a declared dataset has granted its images already
            if dataset is not None:
                rights.grant_images_read(dataset.images_bucket, dataset.images_prefix)
        if kms_key is not None:
            rights.grant_kms(kms_key)

        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type=consts.MODEL_RESOURCE_TYPE,
            service_timeout=service_timeout,
            removal_policy=removal_policy,
            properties={
                **self._properties(project_name, output_bucket, output_prefix, description, kms_key, tag_list, hosting),
                **_validation.orphan_property(orphan_when_service_unavailable),
                # Its place among the stack's models, all deleted at once: the Delete paces its calls by it.
                # A retained model gets no Delete.
                **({consts.FLEET: provider.join_fleet(self)} if removal_policy == RemovalPolicy.DESTROY else {}),
            },
        )
        provider.depend(self.resource, project)
        # Created after its datasets, deleted before them: the service refuses to delete a
        # project (and CloudFormation would try) while a model version exists.
        self.resource.node.add_dependency(*(d for d in (training_dataset, test_dataset) if d is not None))
        self.node.default_child = self.resource.node.default_child  # the CfnResource, for escape hatches
        if removal_policy != RemovalPolicy.DESTROY:
            _validation.warn_if_project_destroyed(self, project, "model")

        self.model_arn: str = self.resource.get_att_string(consts.ATTR_MODEL_ARN)
        """The model version's ARN (arn:aws:lookoutvision:{region}:{account}:model/{project}/{version})."""
        self.model_version: str = self.resource.get_att_string(consts.ATTR_MODEL_VERSION)
        """The version number the service gave the model."""
        self.status: str = self.resource.get_att_string(consts.ATTR_STATUS)
        """The model's status when the last Create or Update finished (TRAINED or HOSTED)."""
        self.f1_score: str = self.resource.get_att_string(consts.ATTR_F1_SCORE)
        """The trained model's F1 score. Only when the service reported it: referencing a figure the
        service did not report fails the deployment (as does every missing custom resource attribute)."""
        self.precision: str = self.resource.get_att_string(consts.ATTR_PRECISION)
        """The trained model's precision (see ``f1_score`` for when it exists)."""
        self.recall: str = self.resource.get_att_string(consts.ATTR_RECALL)
        """The trained model's recall (see ``f1_score`` for when it exists)."""

    @staticmethod
    def _properties(  # noqa: PLR0917 (a private helper)
        project_name: str,
        output_bucket: s3.IBucket,
        output_prefix: str | None,
        description: str | None,
        kms_key: kms.IKey | None,
        tag_list: list[dict[str, str]],
        hosting: Hosting | None,
    ) -> dict[str, Any]:
        s3_location = {"Bucket": output_bucket.bucket_name}
        if output_prefix:
            s3_location["Prefix"] = output_prefix
        properties: dict[str, Any] = {
            consts.PROJECT_NAME: project_name,
            consts.OUTPUT_CONFIG: {"S3Location": s3_location},
        }
        if description is not None:
            properties[consts.DESCRIPTION] = description
        if kms_key is not None:
            properties[consts.KMS_KEY_ID] = kms_key.key_arn
        if tag_list:
            properties[consts.TAGS] = tag_list
        if hosting is not None:
            properties[consts.HOSTING] = {consts.MIN_INFERENCE_UNITS: hosting.min_inference_units}
            if hosting.max_inference_units is not None:
                properties[consts.HOSTING][consts.MAX_INFERENCE_UNITS] = hosting.max_inference_units
        return properties

    def _check(self, operation: str, path: tuple[str, ...], value: Any, prop: str) -> None:
        _validation.check(f"LookoutVisionModel {self.node.path}", operation, path, value, prop)

    def _validate(
        self,
        project: ProjectLike,
        training_dataset: ILookoutVisionDataset,
        test_dataset: ILookoutVisionDataset | None,
        hosting: Hosting | None,
        service_timeout: Duration,
    ) -> None:
        where = f"LookoutVisionModel {self.node.path}"
        _check_dataset(where, training_dataset, "training_dataset", "train", project)
        if test_dataset is not None:
            _check_dataset(where, test_dataset, "test_dataset", "test", project)
        if hosting is not None:
            _validation.check_instance(where, hosting, "hosting", Hosting, "a Hosting(min_inference_units=...)")
            self._check("StartModel", (consts.MIN_INFERENCE_UNITS,), hosting.min_inference_units, "min_inference_units")
            self._check("StartModel", (consts.MAX_INFERENCE_UNITS,), hosting.max_inference_units, "max_inference_units")
            low, high = hosting.min_inference_units, hosting.max_inference_units
            if high is not None and not Token.is_unresolved(low) and not Token.is_unresolved(high) and high < low:
                raise ValueError(
                    f"{where}: hosting max_inference_units ({high}) is less than min_inference_units ({low})"
                )
        _validation.check_service_timeout(where, service_timeout)

    def _check_prop_types(self, output_bucket: Any, kms_key: Any, tags: Any) -> None:
        """The props whose type no service constraint checks: the CDK constructs and the tags' mapping."""
        where = f"LookoutVisionModel {self.node.path}"
        _validation.check_bucket(where, output_bucket, "output_bucket")
        if kms_key is not None:
            _validation.check_key(where, kms_key, "kms_key")
        if tags is not None:
            _validation.check_instance(where, tags, "tags", Mapping, "a mapping of tag keys to values")


def _check_dataset(where: str, dataset: Any, prop: str, dataset_type: str, project: ProjectLike) -> None:
    """``prop`` must be a dataset (declared or referenced) of ``project`` whose dataset_type is ``dataset_type``."""
    if not isinstance(dataset, ILookoutVisionDataset):
        raise TypeError(
            f"{where}: {prop} must be a LookoutVisionDataset or LookoutVisionDataset.from_dataset_attributes(...), "
            f"not {dataset!r}"
        )
    if dataset.dataset_type != dataset_type:
        raise ValueError(
            f"{where}: {prop} {dataset.node.path} has dataset_type "
            f"{dataset.dataset_type!r}; it must be {dataset_type!r}"
        )
    if not same_project(dataset.project, project):
        raise ValueError(
            f"{where}: {prop} {dataset.node.path} belongs to project {project_label(dataset.project)}, the model "
            f"to project {project_label(project)} (a model trains on and is tested with its own project's datasets)"
        )
