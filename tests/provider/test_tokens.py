"""ClientTokens derived from the CloudFormation RequestId."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookoutvision_cdk_provider import servicemodel
from lookoutvision_cdk_provider.tokens import TokenKind, client_token


def _valid(token: str) -> bool:
    params = {"ProjectName": "p", "ModelVersion": "1", "ClientToken": token}
    return servicemodel.validate_input("DeleteModel", params) == []


def test_a_uuid_request_id_gives_a_readable_token() -> None:
    request_id = str(uuid.uuid4())
    assert client_token(request_id, TokenKind.DELETE_MODEL) == f"delete-{request_id}"


@pytest.mark.parametrize("kind", list(TokenKind))
def test_the_same_request_and_kind_always_give_the_same_valid_token(kind: TokenKind) -> None:
    request_id = str(uuid.uuid4())
    token = client_token(request_id, kind)
    assert token == client_token(request_id, kind)
    assert _valid(token)


def test_each_kind_of_operation_has_its_own_token() -> None:
    request_id = str(uuid.uuid4())
    tokens = {client_token(request_id, kind) for kind in TokenKind}
    assert len(tokens) == len(TokenKind)


def test_two_requests_never_share_a_token() -> None:
    assert client_token("a" * 70, TokenKind.DELETE_MODEL) != client_token("a" * 71, TokenKind.DELETE_MODEL)
    assert client_token("req_1", TokenKind.CREATE_MODEL) != client_token("req_2", TokenKind.CREATE_MODEL)


@given(st.text(min_size=0, max_size=300))
def test_any_request_id_gives_a_valid_stable_token(request_id: str) -> None:
    token = client_token(request_id, TokenKind.CREATE_DATASET)
    assert _valid(token)
    assert len(token) <= 64
    assert token == client_token(request_id, TokenKind.CREATE_DATASET)
