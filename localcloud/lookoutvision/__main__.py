"""``python -m lookoutvision_localcloud.lookoutvision``: run the emulator until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .faults import FAULT_KINDS, parse_fault
from .models import MODEL_STATUSES
from .server import Emulator
from .settings import DETECTION_OUTCOMES, Durations, Settings


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m lookoutvision_localcloud.lookoutvision",
        description="Run a local Amazon Lookout for Vision endpoint (REST-JSON, as boto3 and the AWS CLI speak it).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=defaults.time_scale,
        help="real seconds per second of service time, e.g. 0.01 (default: %(default)s)",
    )
    durations = parser.add_argument_group("durations (seconds of service time)")
    for f in dataclasses.fields(Durations):
        durations.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            type=float,
            default=getattr(defaults.durations, f.name),
            help="(default: %(default)s)",
        )
    parser.add_argument("--training-outcome", choices=["TRAINED", "TRAINING_FAILED"], default=defaults.training_outcome)
    parser.add_argument("--hosting-outcome", choices=["HOSTED", "HOSTING_FAILED"], default=defaults.hosting_outcome)
    parser.add_argument(
        "--detection-outcome",
        choices=DETECTION_OUTCOMES,
        default=defaults.detection_outcome,
        help="DetectAnomalies' answer: judged from the image's pixels, or always normal or anomalous "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--requests-per-second",
        type=float,
        default=defaults.requests_per_second,
        help="quota per operation in service time; 0 disables it (default: %(default)s)",
    )
    parser.add_argument("--region", default=defaults.region)
    parser.add_argument("--account-id", default=defaults.account_id)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help=(
            "inject a fault: KIND[=SECONDS][:OPERATION,...|*][:COUNT], KIND one of "
            f"{', '.join(FAULT_KINDS)} (append +after to act before failing the reply); repeatable"
        ),
    )
    parser.add_argument(
        "--hold",
        action="append",
        default=[],
        metavar="PROJECT:VERSION:STATUS",
        help="keep a model version in a status once it gets there (a model stuck in a state); repeatable",
    )
    parser.add_argument("--state-file", help="load the world from this JSON file if it exists; save it on every change")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        time_scale=args.time_scale,
        durations=Durations(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Durations)}),
        training_outcome=args.training_outcome,
        hosting_outcome=args.hosting_outcome,
        detection_outcome=args.detection_outcome,
        requests_per_second=args.requests_per_second or None,
        region=args.region,
        account_id=args.account_id,
    )


def _parse_hold(spec: str) -> tuple[str, str, str]:
    parts = spec.split(":")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"bad hold {spec!r}: expected PROJECT:VERSION:STATUS")
    if parts[2] not in MODEL_STATUSES:
        raise ValueError(f"unknown model status {parts[2]!r}; expected one of {', '.join(MODEL_STATUSES)}")
    return parts[0], parts[1], parts[2]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        faults = [parse_fault(spec) for spec in args.fault]
        holds = [_parse_hold(spec) for spec in args.hold]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    emulator = Emulator(settings_from(args), host=args.host, port=args.port, state_file=args.state_file)
    emulator.faults.extend(faults)
    for project_name, model_version, status in holds:
        emulator.backend.hold_status(project_name, model_version, status)
    with emulator:
        print(f"Lookout for Vision emulator listening on {emulator.endpoint_url}", flush=True)
        print(f"export AWS_ENDPOINT_URL_LOOKOUTVISION={emulator.endpoint_url}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
