"""Condition blocks: operators, absent keys, multi-valued keys, and what is left unknown."""

from __future__ import annotations

from lookoutvision_localcloud.iam.conditions import RequestContext, evaluate

LIST_KEYS = frozenset({"s3:prefix", "s3:delimiter"})


def context(**values: list[str]) -> RequestContext:
    return RequestContext({key.replace("_", ":", 1): value for key, value in values.items()}, LIST_KEYS)


def test_string_like_matches_wildcards_and_a_missing_key_does_not_match() -> None:
    block = {"StringLike": {"s3:prefix": ["model-output/*"]}}
    assert evaluate(block, context(s3_prefix=["model-output/run1/"])) is True
    assert evaluate(block, context(s3_prefix=["other/"])) is False
    assert evaluate(block, context()) is False  # ListObjects without a prefix
    assert evaluate({"StringLikeIfExists": {"s3:prefix": ["model-output/*"]}}, context()) is True


def test_negated_operators_hold_for_a_missing_key_and_for_values_matching_none() -> None:
    block = {"StringNotEquals": {"s3:prefix": ["secret/", "private/"]}}
    assert evaluate(block, context()) is True
    assert evaluate(block, context(s3_prefix=["public/"])) is True
    assert evaluate(block, context(s3_prefix=["secret/"])) is False


def test_null_tells_a_missing_key() -> None:
    assert evaluate({"Null": {"s3:prefix": "true"}}, context()) is True
    assert evaluate({"Null": {"s3:prefix": "true"}}, context(s3_prefix=["a"])) is False


def test_bool_and_numbers() -> None:
    secure = RequestContext({"aws:securetransport": ["true"]}, frozenset({"aws:securetransport"}))
    assert evaluate({"Bool": {"aws:SecureTransport": "true"}}, secure) is True
    assert evaluate({"Bool": {"aws:SecureTransport": False}}, secure) is False
    keys = RequestContext({"s3:max-keys": ["500"]}, frozenset({"s3:max-keys"}))
    assert evaluate({"NumericLessThanEquals": {"s3:max-keys": "1000"}}, keys) is True
    assert evaluate({"NumericGreaterThan": {"s3:max-keys": "1000"}}, keys) is False


def test_set_operators_over_multi_valued_keys() -> None:
    tags = RequestContext({"aws:tagkeys": ["team", "cost"]}, frozenset({"aws:tagkeys"}))
    assert evaluate({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "env"]}}, tags) is True
    assert evaluate({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, tags) is False
    assert evaluate({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "cost"]}}, tags) is True
    none = RequestContext({}, frozenset({"aws:tagkeys"}))
    assert evaluate({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, none) is True
    assert evaluate({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, none) is False


def test_every_condition_of_a_block_must_hold() -> None:
    block = {"StringLike": {"s3:prefix": "a*"}, "StringEquals": {"s3:delimiter": "/"}}
    assert evaluate(block, context(s3_prefix=["ab"], s3_delimiter=["/"])) is True
    assert evaluate(block, context(s3_prefix=["ab"])) is False


def test_unmodelled_keys_unknown_operators_and_policy_variables_are_unknown() -> None:
    assert evaluate({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, context()) is None
    assert evaluate({"DateGreaterThan": {"s3:prefix": "2020-01-01T00:00:00Z"}}, context(s3_prefix=["a"])) is None
    assert evaluate({"StringLike": {"s3:prefix": "${aws:username}/*"}}, context(s3_prefix=["a"])) is None
    # ... unless another part is false: then the block is false whatever the unknown part says
    mixed = {"StringEquals": {"aws:SourceVpce": "vpce-1", "s3:prefix": "x"}}
    assert evaluate(mixed, context(s3_prefix=["y"])) is False
