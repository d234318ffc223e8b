"""The IAM tests' local cloud, and local functions under roles of the test's making on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lookoutvision_localcloud.cloud import LocalCloud
from tests.fixtures.role_function import RoleFunction


@pytest.fixture(scope="module")
def iam_cloud() -> Iterator[LocalCloud]:
    with LocalCloud(time_scale=1.0) as cloud:
        yield cloud


@pytest.fixture
def role_function(iam_cloud: LocalCloud) -> Any:
    def make(document: str) -> RoleFunction:
        return RoleFunction(iam_cloud, document)

    return make
