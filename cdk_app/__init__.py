"""CDK constructs for Lookout for Vision models and datasets.

``from cdk_app import LookoutVisionModel`` imports the constructs (and with them ``aws_cdk``, which
starts jsii) on first use: ``cdk_app.lambda_asset``, which builds the provider's Lambda asset and
needs only the standard library, stays importable without that cost.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cdk_app.dataset import ILookoutVisionDataset, LookoutVisionDataset
    from cdk_app.model import Hosting, LookoutVisionModel
    from cdk_app.provider_function import LookoutVisionProvider

_MODULES = {
    "Hosting": "cdk_app.model",
    "ILookoutVisionDataset": "cdk_app.dataset",
    "LookoutVisionDataset": "cdk_app.dataset",
    "LookoutVisionModel": "cdk_app.model",
    "LookoutVisionProvider": "cdk_app.provider_function",
}
__all__ = ["Hosting", "ILookoutVisionDataset", "LookoutVisionDataset", "LookoutVisionModel", "LookoutVisionProvider"]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'cdk_app' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
