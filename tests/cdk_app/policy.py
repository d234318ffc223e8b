"""Reading IAM statements out of a synthesized template."""

from __future__ import annotations

from typing import Any


def policy_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of every AWS::IAM::Policy and every inline policy of an AWS::IAM::Role."""
    statements: list[dict[str, Any]] = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Policy":
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                statements += policy["PolicyDocument"]["Statement"]
    return statements


def lookout_arn_suffix(resource: Any) -> str:
    """The literal tail of an ARN built as arn:<partition>:lookoutvision:<region>:<account><tail>."""
    if isinstance(resource, str):
        return resource
    parts = resource["Fn::Join"][1]
    assert parts[2] == ":lookoutvision:", resource
    assert [parts[1], parts[3], parts[5]] == [
        {"Ref": "AWS::Partition"},
        {"Ref": "AWS::Region"},
        {"Ref": "AWS::AccountId"},
    ]
    return "".join(p if isinstance(p, str) else "<ref>" for p in parts[6:])


def resource_refs(value: Any) -> set[str]:
    """Logical ids referenced by Ref / Fn::GetAtt inside ``value`` (pseudo parameters left out)."""
    refs: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and not item.startswith("AWS::"):
                refs.add(item)
            elif key == "Fn::GetAtt":
                refs.add(item[0])
            else:
                refs |= resource_refs(item)
    elif isinstance(value, list):
        for item in value:
            refs |= resource_refs(item)
    return refs
