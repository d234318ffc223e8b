"""Custom resource Properties as CloudFormation hands them to the provider."""

from __future__ import annotations

from typing import Any

PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}


def sample_values(template: dict[str, Any]) -> dict[str, str]:
    """Plausible deploy-time values for every Ref and Fn::GetAtt ... Arn of the template."""
    values = dict(PSEUDO)
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        name = logical_id.lower()[:40]
        if kind == "AWS::LookoutVision::Project":
            values[logical_id] = resource["Properties"]["ProjectName"]
        elif kind == "AWS::S3::Bucket":
            values[logical_id] = f"bucket-{name}"
            values[f"{logical_id}.Arn"] = f"arn:aws:s3:::bucket-{name}"
        elif kind == "AWS::KMS::Key":
            values[logical_id] = "1234abcd-12ab-34cd-56ef-1234567890ab"
            values[f"{logical_id}.Arn"] = f"arn:aws:kms:us-east-1:123456789012:key/{values[logical_id]}"
        elif kind == "AWS::Lambda::Function":
            values[f"{logical_id}.Arn"] = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        elif kind == "AWS::Logs::LogGroup":
            values[logical_id] = name
            values[f"{logical_id}.Arn"] = f"arn:aws:logs:us-east-1:123456789012:log-group:{name}:*"
        elif kind == "AWS::IAM::Role":
            values[logical_id] = name
            values[f"{logical_id}.Arn"] = f"arn:aws:iam::123456789012:role/{name}"
    return values


def as_cloudformation_sends(value: Any, values: dict[str, str]) -> Any:
    """Resolve Ref / Fn::GetAtt / Fn::Join from ``values``; scalars become strings, as CloudFormation sends them."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return values[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return values[".".join(value["Fn::GetAtt"])]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(as_cloudformation_sends(p, values) for p in parts)
        return {k: as_cloudformation_sends(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [as_cloudformation_sends(v, values) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    return value
