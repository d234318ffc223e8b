"""A local cloud whose functions run the test handler ``handlers.call`` under a role of the test's making."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore
import pytest

from localcloud.awslambda.cloudformation import LambdaFunctionHandler
from localcloud.cloud import LocalCloud
from localcloud.cloudformation.records import RequestType, ResourceRequest
from tests.fixtures.awslambda import HANDLERS_CODE

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# The runtime's botocore has no Lookout for Vision model; the test's botocore lends it (as the provider's asset does).
BOTOCORE_DATA = str(Path(botocore.__file__).parent / "data")


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class RoleFunction:
    """A local function deployed as CloudFormation deploys one, running under a role with one inline policy."""

    def __init__(self, cloud: LocalCloud, document: str) -> None:
        self.cloud = cloud
        self.name = f"fn-{uuid.uuid4().hex[:8]}"
        self.role_name = f"role-{self.name}"
        iam = cloud.client("iam")
        role = iam.create_role(RoleName=self.role_name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]
        self.role_arn = role["Arn"]
        self.put_policy(document)
        request = ResourceRequest(
            request_type=RequestType.CREATE,
            logical_id="Function",
            resource_type="AWS::Lambda::Function",
            properties={
                "FunctionName": self.name,
                "Runtime": "python3.13",
                "Handler": "handlers.call",
                "Role": self.role_arn,
                "Timeout": 60,
                "Environment": {"Variables": {"AWS_DATA_PATH": BOTOCORE_DATA}},
            },
            stack=cloud.stack_context("IamTest"),
            metadata={"aws:asset:path": HANDLERS_CODE.name},
        )
        outcome = LambdaFunctionHandler(cloud, HANDLERS_CODE.parent).create(request)
        assert outcome.success, outcome.reason
        self.arn = outcome.attributes["Arn"]

    def put_policy(self, document: str, name: str = "inline") -> None:
        self.cloud.client("iam").put_role_policy(RoleName=self.role_name, PolicyName=name, PolicyDocument=document)

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """The answer to one call the function makes with its own credentials: ``{"result"}`` or ``{"error"}``."""
        service_ = self.cloud.functions.find(self.arn)
        assert service_ is not None
        invocation = service_.invoke({"service": service, "operation": operation, "params": params})
        assert invocation.outcome == "ok", invocation.logs
        answer: dict[str, Any] = invocation.result
        return answer


@pytest.fixture(scope="module")
def iam_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=1.0) as cloud:
        yield cloud


@pytest.fixture
def role_function(iam_cloud: LocalCloud) -> Any:
    def make(document: str) -> RoleFunction:
        return RoleFunction(iam_cloud, document)

    return make
