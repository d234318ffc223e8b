"""The driver's session: what it puts into the local cloud before a stack operation."""

from __future__ import annotations

import io
from pathlib import Path

from lookoutvision_localcloud import driver
from lookoutvision_localcloud.lookoutvision import Emulator


def test_a_session_puts_the_given_objects_into_the_local_s3(local_emulator: Emulator, tmp_path: Path) -> None:
    out = io.StringIO()
    objects = {"data": {"datasets/train.manifest": b"{}\n", "datasets/images/a.png": b"png"}}
    options = driver.RunOptions(state_dir=tmp_path, out=out, emulator=local_emulator, s3_objects=objects)
    with driver.Session(options) as session:
        session.upload()
        s3 = session.cloud.client("s3")
        for key, body in objects["data"].items():
            assert s3.get_object(Bucket="data", Key=key)["Body"].read() == body
    assert "Uploaded 2 objects to s3://data" in out.getvalue()
