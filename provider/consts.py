"""Names shared by the provider (runtime) and the constructs (``lookoutvision_cdk``).

This module is the whole coupling between the two sides: resource types, property names,
and response Data keys. It imports nothing but the standard library.
"""

from __future__ import annotations

MODEL_RESOURCE_TYPE = "Custom::LookoutVisionModel"
DATASET_RESOURCE_TYPE = "Custom::LookoutVisionDataset"

# Custom::LookoutVisionModel properties (they mirror CreateModel / StartModel).
PROJECT_NAME = "ProjectName"
DESCRIPTION = "Description"
OUTPUT_CONFIG = "OutputConfig"
KMS_KEY_ID = "KmsKeyId"
TAGS = "Tags"
HOSTING = "Hosting"
MIN_INFERENCE_UNITS = "MinInferenceUnits"
MAX_INFERENCE_UNITS = "MaxInferenceUnits"
# The custom resource's own timeout (seconds), which CloudFormation enforces as well.
SERVICE_TIMEOUT = "ServiceTimeout"
# Boolean ("true"/"false"), both resource types: when Lookout for Vision is gone (end of support,
# 2025-10-31), a Delete succeeds and leaves the resource behind instead of failing.
ORPHAN_WHEN_SERVICE_UNAVAILABLE = "OrphanWhenServiceUnavailable"
# Custom::LookoutVisionModel: the model's place among the models of its stack, which CloudFormation
# deletes together ({"Rank": "0", "Size": "3"}): its Delete paces its calls for that fleet.
FLEET = "Fleet"
FLEET_RANK = "Rank"
FLEET_SIZE = "Size"
# The most models a fleet is paced for (a stack holds at most 500 resources).
FLEET_SIZE_MAX = 500

# Custom::LookoutVisionDataset properties (they mirror CreateDataset).
DATASET_TYPE = "DatasetType"
DATASET_SOURCE = "DatasetSource"
# The constructs' way to use a dataset the stack does not own, which a dataset Create that finds one names.
DATASET_REFERENCE_API = "LookoutVisionDataset.from_dataset_attributes"

# Response Data keys (Fn::GetAtt attribute names).
ATTR_MODEL_ARN = "ModelArn"
ATTR_MODEL_VERSION = "ModelVersion"
ATTR_STATUS = "Status"
ATTR_DATASET_TYPE = "DatasetType"
# Data of a Delete that left the resource behind because the service was gone (why, in words).
ATTR_ORPHANED = "Orphaned"

SERVICE_TIMEOUT_MIN = 1
SERVICE_TIMEOUT_MAX = 3600
SERVICE_TIMEOUT_DEFAULT = 3600

# Response Data keys for the model's evaluation figures (present once training produced them).
ATTR_F1_SCORE = "F1Score"
ATTR_RECALL = "Recall"
ATTR_PRECISION = "Precision"
# Response Data key of a dataset's project (the dataset's DatasetType is ATTR_DATASET_TYPE).
ATTR_PROJECT_NAME = "ProjectName"

# The property CloudFormation adds to every custom resource's ResourceProperties.
SERVICE_TOKEN = "ServiceToken"  # noqa: S105 - a property name, not a secret

# The key under which a re-invocation of the provider carries its continuation record.
CONTINUATION = "LookoutVisionContinuation"
