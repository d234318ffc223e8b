"""CloudWatch Logs' API on moto as AWS answers it: FilterLogEvents interleaves its streams' events by time."""

from __future__ import annotations

import time

from lookoutvision_localcloud.cloud import LocalCloud


def test_filter_log_events_interleaves_the_streams_by_time_whatever_the_request_asks() -> None:
    with LocalCloud(time_scale=1.0) as cloud:
        logs = cloud.client("logs")
        logs.create_log_group(logGroupName="interleaved")
        now = int(time.time() * 1000)
        for stream, offsets in {"a": (0, 2), "b": (1, 3)}.items():
            logs.create_log_stream(logGroupName="interleaved", logStreamName=stream)
            events = [{"timestamp": now + offset, "message": f"{stream}{offset}"} for offset in offsets]
            logs.put_log_events(logGroupName="interleaved", logStreamName=stream, logEvents=events)
        for asked in ({}, {"interleaved": False}, {"interleaved": True}):
            found = logs.filter_log_events(logGroupName="interleaved", **asked)["events"]
            assert [event["message"] for event in found] == ["a0", "b1", "a2", "b3"]
