"""A local cloud's functions: found by ARN or name, and Lambda's Invoke API in front of them all."""

from __future__ import annotations

import json

from werkzeug.test import Client

from lookoutvision_localcloud.awslambda.functions import LocalFunctions
from tests.fixtures.awslambda import local_function

ARN = "arn:aws:lambda:us-east-1:123456789012:function:echo-one"


def test_a_function_is_found_by_its_arn_or_its_name_until_removed() -> None:
    functions = LocalFunctions("us-east-1", "123456789012")
    service = local_function("echo", function_name="echo-one")
    functions.add(ARN, service)
    assert functions.find(ARN) is service
    assert functions.find("echo-one") is service
    assert functions.find("echo-two") is None
    assert functions.remove(ARN) is service
    assert functions.find(ARN) is None and functions.all() == {}


def test_the_invoke_api_answers_for_every_function_and_refuses_what_it_does_not_know() -> None:
    functions = LocalFunctions("us-east-1", "123456789012")
    with local_function("echo", function_name="echo-one", timeout=30.0) as service:
        functions.add(ARN, service)
        client = Client(functions.wsgi_app)
        answer = client.post("/2015-03-31/functions/echo-one/invocations", data=json.dumps({"hello": "world"}))
        assert answer.status_code == 200
        assert json.loads(answer.get_data())["event"] == {"hello": "world"}

        missing = client.post("/2015-03-31/functions/nobody/invocations", data="{}")
        assert missing.status_code == 404
        assert missing.headers["X-Amzn-ErrorType"] == "ResourceNotFoundException"
        other = client.get("/2015-03-31/functions")
        assert other.headers["X-Amzn-ErrorType"] == "UnknownOperationException"
