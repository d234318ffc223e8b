"""An embedded Amazon Lookout for Vision: the service's REST-JSON API, state machine and faults, locally.

Unmodified boto3 and the AWS CLI talk to it over HTTP. The service model that
``botocore-a-la-carte-lookoutvision`` ships drives routing, request validation and the reply
format, so errors come back as the modeled exceptions (``ConflictException`` with ResourceId and
ResourceType, ``ThrottlingException`` with RetryAfterSeconds, ...). Given an object store (``emulator.s3``,
which the local cloud attaches), it reads datasets' manifests and images as the service does, with the
caller's rights (``s3_access``); run alone it reads nothing.

Usage
-----
From the command line (runs until Ctrl-C, prints its endpoint)::

    python -m localcloud.lookoutvision --port 8123 --time-scale 0.01 --state-file .lookoutvision.json

Point boto3 or the AWS CLI at it with the endpoint variable botocore reads, a region and any
credentials (nothing checks them)::

    export AWS_ENDPOINT_URL_LOOKOUTVISION=http://127.0.0.1:8123
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
    # The AWS CLI's own botocore has no lookoutvision model any more; lend it the one in this venv:
    export AWS_DATA_PATH=$(python -c "import botocore; print(botocore.__path__[0] + '/data')")
    aws lookoutvision create-project --project-name demo
    aws lookoutvision create-dataset --project-name demo --dataset-type train
    aws lookoutvision create-model --project-name demo --output-config S3Location={Bucket=my-bucket}
    aws lookoutvision list-models --project-name demo

``--time-scale`` is real seconds per second of service time (0.01: a 60 s training takes 0.6 s).
Durations (``--training 60 --starting-hosting 30 --stopping-hosting 20 --deleting 10 ...``),
``--training-outcome TRAINING_FAILED``, ``--requests-per-second 5`` (``0``: no quota) and faults
(``--fault throttling:DeleteModel:3``, ``--fault latency=2``, ``--fault service_gone``) are options;
``python -m localcloud.lookoutvision --help`` lists them. A running emulator is also controlled
over HTTP under ``/_emulator/`` (calls, history, faults, clock, settings, model status): see
``localcloud/lookoutvision/admin.py``.

From Python (a free port; boto3 finds it through ``AWS_ENDPOINT_URL_LOOKOUTVISION`` or ``endpoint_url``)::

    from localcloud.lookoutvision import Durations, Emulator, Fault, Settings

    with Emulator(Settings(time_scale=0.001, durations=Durations(training=60.0))) as emu:
        client = boto3.client("lookoutvision", endpoint_url=emu.endpoint_url, region_name="us-east-1")
        client.create_project(ProjectName="demo")
        emu.faults.add(Fault(kind="throttling", operations={"DeleteModel"}, count=3))
        emu.backend.hold_status("demo", "1", "TRAINING")   # a model stuck in a state
        emu.clock.advance(8 * 3600)                         # service time jumps forward
        emu.calls_of("DeleteModel")                         # what the service was asked
        emu.save("state.json")                              # Emulator(settings, state_file=...) loads it

In pytest, the fixtures ``emulator`` and ``lookoutvision`` (tests/fixtures/emulator.py) give a
running emulator reset for each test, with the environment pointing botocore at it.
"""

from __future__ import annotations

from .calls import Call
from .exceptions import (
    AccessDeniedException,
    ConflictException,
    InternalServerException,
    LookoutVisionError,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ThrottlingException,
    ValidationException,
)
from .faults import Fault, Faults, parse_fault
from .models import LookoutVisionBackend, StatusChange
from .server import Emulator
from .settings import Durations, Settings

__all__ = [
    "AccessDeniedException",
    "Call",
    "ConflictException",
    "Durations",
    "Emulator",
    "Fault",
    "Faults",
    "InternalServerException",
    "LookoutVisionBackend",
    "LookoutVisionError",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "Settings",
    "StatusChange",
    "ThrottlingException",
    "ValidationException",
    "parse_fault",
]
