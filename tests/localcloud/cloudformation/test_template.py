"""The resource graph: implicit and explicit dependencies, creation and deletion order."""

from __future__ import annotations

import pytest

from lookoutvision_localcloud.cloudformation.exceptions import TemplateError
from lookoutvision_localcloud.cloudformation.template import Template, creation_levels, deletion_levels

# The example app's shape: project ← dataset ← model, the model and dataset use the function.
TEMPLATE = {
    "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap"}},
    "Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "Policy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Resource": {"Fn::GetAtt": "Project.Arn"}}},
        },
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}},
            "DependsOn": ["Policy"],
        },
        "Project": {"Type": "AWS::LookoutVision::Project", "Properties": {"ProjectName": "demo"}},
        "Dataset": {
            "Type": "Custom::LookoutVisionDataset",
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Function", "Arn"]},
                "ProjectName": {"Ref": "Project"},
                "Source": {"Fn::Sub": "s3://${AWS::AccountId}-bucket/${Project}/manifest"},
            },
        },
        "Model": {
            "Type": "Custom::LookoutVisionModel",
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Function", "Arn"]},
                "ProjectName": {"Fn::Join": ["", [{"Ref": "Project"}]]},
                "Description": {"Fn::Sub": ["${X}", {"X": {"Ref": "AWS::StackName"}}]},
            },
            "DependsOn": "Dataset",
            "DeletionPolicy": "Delete",
        },
    },
}


def test_dependencies_combine_depends_on_ref_get_att_and_sub() -> None:
    template = Template.parse(TEMPLATE)
    assert template.dependencies("Model") == {"Function", "Project", "Dataset"}
    assert template.dependencies("Dataset") == {"Function", "Project"}
    assert template.dependencies("Policy") == {"Role", "Project"}
    assert template.dependencies("Function") == {"Role", "Policy"}
    assert template.dependencies("Project") == set()


def test_creation_levels_respect_every_edge_and_group_independent_resources() -> None:
    graph = Template.parse(TEMPLATE).dependency_graph()
    levels = creation_levels(graph)
    assert levels[0] == ["Project", "Role"]  # independent: may run concurrently
    position = {node: index for index, level in enumerate(levels) for node in level}
    for node, deps in graph.items():
        assert all(position[dep] < position[node] for dep in deps)
    assert levels[-1] == ["Model"]


def test_deletion_is_the_reverse_model_then_dataset_then_project() -> None:
    levels = deletion_levels(Template.parse(TEMPLATE).dependency_graph())
    position = {node: index for index, level in enumerate(levels) for node in level}
    assert position["Model"] < position["Dataset"] < position["Project"]
    assert position["Dataset"] < position["Function"] < position["Policy"] < position["Role"]
    assert levels[0] == ["Model"]


def test_a_cycle_is_an_error_naming_its_resources() -> None:
    template = {
        "Resources": {
            "A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}},
            "B": {"Type": "T", "DependsOn": "A"},
            "C": {"Type": "T"},
        }
    }
    with pytest.raises(TemplateError, match="circular dependency between resources: A, B"):
        Template.parse(template)


def test_dangling_references_are_errors() -> None:
    with pytest.raises(TemplateError, match="'Missing'"):
        Template.parse({"Resources": {"A": {"Type": "T", "Properties": {"X": {"Ref": "Missing"}}}}})
    with pytest.raises(TemplateError, match="DependsOn 'Gone'"):
        Template.parse({"Resources": {"A": {"Type": "T", "DependsOn": ["Gone"]}}})


def test_sub_escapes_and_local_variables_are_not_dependencies() -> None:
    template = {
        "Resources": {
            "A": {"Type": "T"},
            "B": {"Type": "T", "Properties": {"X": {"Fn::Sub": ["${!A} ${Local} ${AWS::Region}", {"Local": "x"}]}}},
            "C": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${A.Arn}"}}},
        }
    }
    parsed = Template.parse(template)
    assert parsed.dependencies("B") == set()
    assert parsed.dependencies("C") == {"A"}


def test_resource_attributes_are_parsed() -> None:
    model = Template.parse(TEMPLATE).resources["Model"]
    assert model.depends_on == ("Dataset",)
    assert not model.retained
    retained = Template.parse({"Resources": {"M": {"Type": "T", "DeletionPolicy": "Retain"}}}).resources["M"]
    assert retained.retained


def test_transforms_are_refused_with_a_reason() -> None:
    with pytest.raises(TemplateError, match="Transform 'AWS::Serverless-2016-10-31'"):
        Template.parse({"Transform": "AWS::Serverless-2016-10-31", "Resources": {"A": {"Type": "T"}}})


def test_a_template_without_resources_is_an_error() -> None:
    with pytest.raises(TemplateError, match="no Resources"):
        Template.parse({"Resources": {}})
