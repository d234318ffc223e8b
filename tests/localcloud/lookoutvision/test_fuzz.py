"""Property: for any input, the emulator answers what the service model says — never a 5xx."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookoutvision_cdk_provider import servicemodel
from lookoutvision_localcloud.lookoutvision import Emulator
from tests.fixtures.emulator import lookoutvision_client

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=70)
NAMEISH = st.one_of(TEXT, st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_\-]{0,20}", fullmatch=True))
VERSIONISH = st.one_of(TEXT, st.from_regex(r"[0-9]{1,12}", fullmatch=True), st.just("latest"))
# A header value: what HTTP carries unchanged (latin-1, no control characters, no surrounding blanks).
HEADER_TEXT = st.text(st.characters(max_codepoint=255, exclude_categories=("Cc",)), min_size=1, max_size=70).filter(
    lambda text: text == text.strip()
)
TOKENISH = st.one_of(st.none(), HEADER_TEXT, st.from_regex(r"[a-zA-Z0-9-]{1,70}", fullmatch=True))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(project=NAMEISH, version=VERSIONISH, token=TOKENISH)
def test_delete_model_answers_as_the_model_says(emulator: Emulator, project: str, version: str, token: Any) -> None:
    client = lookoutvision_client(emulator, parameter_validation=False)
    params = {"ProjectName": project, "ModelVersion": version}
    if token is not None:
        params["ClientToken"] = token
    violations = servicemodel.validate_input("DeleteModel", params)
    try:
        client.delete_model(**params)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] < 500
        if "" in (project, version):
            # An empty URI label leaves no route to DeleteModel at all.
            assert code in ("UnknownOperationException", "ValidationException")
        elif violations:
            assert code == "ValidationException"
            assert f"at '{violations[0].path}'" in error.response["Error"]["Message"]
        else:
            assert code == "ResourceNotFoundException"  # valid input, but no such project
    else:
        raise AssertionError("no project exists, DeleteModel cannot succeed")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(max_results=st.integers(min_value=-5, max_value=500), token=st.one_of(st.none(), TEXT))
def test_list_projects_pages_or_refuses(emulator: Emulator, max_results: int, token: Any) -> None:
    client = lookoutvision_client(emulator, parameter_validation=False)
    params: dict[str, Any] = {"MaxResults": max_results}
    if token:
        params["NextToken"] = token
    try:
        client.list_projects(**params)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ValidationException"
    else:
        assert 1 <= max_results <= 100
        assert not token
