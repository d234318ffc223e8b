"""CDK constructs for Lookout for Vision models and datasets.

``from lookoutvision_cdk import LookoutVisionModel`` imports the constructs (and with them ``aws_cdk``, which
starts jsii) on first use: ``lookoutvision_cdk.lambda_asset``, which builds the provider's Lambda asset and
needs only the standard library, stays importable without that cost.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lookoutvision_cdk.dataset import ILookoutVisionDataset, LookoutVisionDataset
    from lookoutvision_cdk.model import Hosting, LookoutVisionModel
    from lookoutvision_cdk.provider_function import LookoutVisionProvider

_MODULES = {
    "Hosting": "lookoutvision_cdk.model",
    "ILookoutVisionDataset": "lookoutvision_cdk.dataset",
    "LookoutVisionDataset": "lookoutvision_cdk.dataset",
    "LookoutVisionModel": "lookoutvision_cdk.model",
    "LookoutVisionProvider": "lookoutvision_cdk.provider_function",
}
__all__ = ["Hosting", "ILookoutVisionDataset", "LookoutVisionDataset", "LookoutVisionModel", "LookoutVisionProvider"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
