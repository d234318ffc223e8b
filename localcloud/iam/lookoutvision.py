"""The permissions a Lookout for Vision request needs, as IAM evaluates them.

The action is ``lookoutvision:<Operation>``, evaluated against the resource the service
authorization reference gives it: the project ARN, the model ARN (``model/<project>/<version>``;
for CreateModel the version it creates; for the tagging operations the ``ResourceArn`` given), or
``*`` for the actions with no resource type (CreateDataset, DescribeDataset, DeleteDataset,
ListModels, ListProjects, ...). The reference lists no dependent action for the service; the service
model's CreateModel documentation adds one: "If you want to tag your model, you also require
permission to the lookoutvision:TagResource operation" (on the new version).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lookoutvision_localcloud.iam import reference
from lookoutvision_localcloud.iam.caller import Permission
from lookoutvision_localcloud.iam.conditions import RequestContext

SERVICE = "lookoutvision"
TAGGING_KEYS = frozenset({"aws:requesttag/", "aws:tagkeys"})


def permissions(
    operation: str,
    params: Mapping[str, Any],
    *,
    region: str,
    account_id: str,
    next_model_version: Callable[[str], str],
    partition: str = "aws",
) -> list[Permission]:
    """Every permission ``operation`` with ``params`` needs, in the order IAM is asked.

    ``next_model_version(project)`` is the version CreateModel would create (its model ARN is the resource).
    """
    table = reference.service(SERVICE)
    values = {"Partition": partition, "Region": region, "Account": account_id}
    values |= {name: str(value) for name, value in params.items() if isinstance(value, str | int)}
    if isinstance(params.get("ResourceArn"), str):
        values |= table.parse_arn(params["ResourceArn"])
    if operation == "CreateModel" and "ProjectName" in values:
        values["ModelVersion"] = next_model_version(values["ProjectName"])
    context = _tagging_context(params)
    needed = [_permission(table, operation, values, context)]
    if operation == "CreateModel" and params.get("Tags"):
        needed.append(_permission(table, "TagResource", values, context))
    return needed


def _permission(
    table: reference.ServiceReference, operation: str, values: Mapping[str, str], context: RequestContext
) -> Permission:
    action = table.action(operation)
    if action is None:  # not in the reference: evaluated against "*" under the operation's name
        return Permission(f"{SERVICE}:{operation}", reference.ANY_RESOURCE, context)
    return Permission(action.qualified_name, table.resource_arn(action, values), context)


def _tagging_context(params: Mapping[str, Any]) -> RequestContext:
    """``aws:RequestTag/<key>`` and ``aws:TagKeys`` from the request's ``Tags`` (or ``TagKeys``)."""
    tags = [tag for tag in params.get("Tags") or [] if isinstance(tag, Mapping)]
    keys = [str(tag.get("Key")) for tag in tags] + [str(key) for key in params.get("TagKeys") or []]
    values = {f"aws:requesttag/{str(tag.get('Key')).lower()}": [str(tag.get("Value"))] for tag in tags}
    if keys:
        values["aws:tagkeys"] = keys
    return RequestContext(values, TAGGING_KEYS)
