"""FAILED reasons: short, naming request and resource, kept within crhelper's limit."""

from __future__ import annotations

from provider.outcomes import REASON_LIMIT, failure_reason


def test_a_reason_reads_request_resource_message_advice() -> None:
    reason = failure_reason("Delete", "Model", "DeleteModel: AccessDeniedException: not authorized", "Grant it.")
    assert reason == "Delete Model: DeleteModel: AccessDeniedException: not authorized. Grant it."


def test_a_long_message_is_cut_but_keeps_its_start_and_the_advice() -> None:
    reason = failure_reason("Create", "L" * 72, "ProjectName: bad " + "x" * 1000, "Fix the resource's properties.")
    assert len(reason) <= REASON_LIMIT
    assert "L" * 72 in reason
    assert "ProjectName: bad" in reason
    assert reason.endswith("... Fix the resource's properties.")


def test_a_huge_logical_id_is_elided() -> None:
    reason = failure_reason("Update", "L" * 300, "m" * 300, "advice")
    assert len(reason) <= REASON_LIMIT
    assert reason.startswith("Update LLLL")


def test_whitespace_is_collapsed() -> None:
    assert failure_reason("Delete", "M", "line one\n  line two") == "Delete M: line one line two."
