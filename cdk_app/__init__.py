"""CDK constructs for Lookout for Vision models and datasets, and the example app."""

from __future__ import annotations

from cdk_app.dataset import LookoutVisionDataset
from cdk_app.model import Hosting, LookoutVisionModel
from cdk_app.provider_function import LookoutVisionProvider

__all__ = ["Hosting", "LookoutVisionDataset", "LookoutVisionModel", "LookoutVisionProvider"]
