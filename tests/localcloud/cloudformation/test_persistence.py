"""Stack documents: written whole and atomically, read back alike, kept or forgotten once the stack is gone."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lookoutvision_localcloud.cloudformation.intrinsics import StackContext
from lookoutvision_localcloud.cloudformation.models import ChangeSet, Stack, StackState, live_stack
from lookoutvision_localcloud.cloudformation.persistence import StackFiles, StackRecorder
from lookoutvision_localcloud.cloudformation.records import ResourceRecord, Status


def stack(name: str = "Demo", suffix: str = "1", status: str = "CREATE_COMPLETE", created: float = 1.0) -> Stack:
    context = StackContext(
        stack_name=name,
        stack_id=f"arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/{suffix}",
        region="us-east-1",
        account_id="123456789012",
    )
    return Stack(state=StackState(context, status, time_scale=0.01), created=created)


def test_a_stack_comes_back_as_it_was_written(tmp_path: Path) -> None:
    files = StackFiles(tmp_path / "stacks")
    written = stack()
    record = ResourceRecord("Bucket", "AWS::S3::Bucket", Status.CREATE_COMPLETE, "moto", {"BucketName": "b"}, [], "b")
    written.state.resources["Bucket"] = record
    written.state.remember(record)
    written.template_body = '{"Resources": {}}'
    written.change_sets["cs"] = ChangeSet("cs", "next", written.stack_id, "UPDATE", "{}", [], {}, [], [], None, 2.0)
    files.save(written)

    [loaded] = files.load()
    assert loaded.to_dict() == written.to_dict()
    assert loaded.state.resources["Bucket"].status is Status.CREATE_COMPLETE
    assert [path.name for path in (tmp_path / "stacks").iterdir()] == ["1.json"]  # named by the stack id's uuid


def test_an_unreadable_document_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    files = StackFiles(tmp_path)
    files.save(stack())
    (tmp_path / "broken.json").write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert [loaded.name for loaded in files.load()] == ["Demo"]
    assert "skipped the stack document" in caplog.text and "broken.json" in caplog.text


def test_without_a_directory_nothing_is_written() -> None:
    files = StackFiles(None)
    files.save(stack())
    assert files.load() == []


def test_the_api_keeps_a_deleted_stack_and_the_driver_forgets_it(tmp_path: Path) -> None:
    files = StackFiles(tmp_path)
    kept, forgotten = stack("Kept", "1"), stack("Forgotten", "2")
    for found, forget in ((kept, False), (forgotten, True)):
        recorder = StackRecorder(files, found, forget=forget)
        found.state.status = Status.DELETE_COMPLETE
        recorder.save(found.state)
        recorder.remove(found.name)
    assert [(loaded.name, loaded.status) for loaded in files.load()] == [("Kept", "DELETE_COMPLETE")]


def test_the_live_stack_of_a_name_is_the_newest_not_deleted() -> None:
    deleted = stack(suffix="1", status=Status.DELETE_COMPLETE, created=1.0)
    older, newer = stack(suffix="2", created=2.0), stack(suffix="3", created=3.0)
    assert live_stack([deleted, newer, older], "Demo") is newer
    assert live_stack([deleted], "Demo") is None
    assert live_stack([newer], "Other") is None
