"""``serve``'s environment: the CDK CLI's home for the local cloud, one absolute path wherever it is asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from lookoutvision_localcloud import serve


def test_the_cdk_home_is_absolute_and_under_the_users_cache_unless_cdk_home_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = tmp_path / "cache" / "lookoutvision-cdk" / "cdk-home"
    assert serve.default_cdk_home({"XDG_CACHE_HOME": str(tmp_path / "cache")}) == cached
    assert serve.default_cdk_home({"HOME": str(tmp_path)}) == tmp_path / ".cache" / "lookoutvision-cdk" / "cdk-home"
    assert serve.cdk_home({"XDG_CACHE_HOME": str(tmp_path / "cache"), "CDK_HOME": ""}) == cached
    monkeypatch.chdir(tmp_path)
    assert serve.cdk_home({"CDK_HOME": "relative/home"}) == tmp_path / "relative" / "home"  # made absolute
    assert serve.environment("http://127.0.0.1:4599", cached)["CDK_HOME"] == str(cached)
