"""``python -m lookoutvision_localcloud COMMAND``: CDK stacks deployed and destroyed locally.

``serve`` runs the local cloud on one endpoint; ``cdk -- ARGS`` runs the pinned AWS CDK CLI against it;
``demo`` does both with the example app. ``deploy``, ``destroy`` and ``up`` play a synthesized cloud
assembly (cdk.out) with this project's engine directly, without the CLI; ``status`` shows what they
keep. ``sample-dataset`` writes a small Ground Truth dataset into a folder, for ``--upload``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from lookoutvision_localcloud import cdk_cli, demo, driver, pinned_cli, s3_upload, serve
from lookoutvision_localcloud.cloud import ACCOUNT_ID, DEFAULT_STATE_DIR, REGION, SERVE_STATE_DIR
from lookoutvision_localcloud.cloudformation.exceptions import LocalCloudFormationError
from lookoutvision_localcloud.lookoutvision import Settings
from lookoutvision_localcloud.sample_dataset import SampleDataset

#: Names the CDK CLI that ``cdk`` runs instead of the pinned one.
CDK_CLI_ENV = "LOOKOUTVISION_CDK_CLI"
# A demo plays a 60 s training in about 1 s.
DEMO_TIME_SCALE = 1 / 60


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            _positive(args.time_scale)
            return serve.serve(
                port=args.port,
                time_scale=args.time_scale,
                state_dir=args.state_dir,
                cdk_home=serve.cdk_home(os.environ),
            )
        if args.command == "cdk":
            return _cdk(args)
        if args.command == "demo":
            _positive(args.time_scale)
            return demo.run_demo(project_root(), args.time_scale, args.state_dir)
        if args.command == "status":
            print(driver.status(args.state_dir, args.stack))
            return 0
        if args.command == "sample-dataset":
            return _sample_dataset(args)
        if args.command == "upload":
            return _upload(args)
        if args.command == "leftovers":
            return _leftovers(args)
        options = _options(args)
        run = {"deploy": driver.deploy, "destroy": driver.destroy, "up": driver.up}[args.command]
        return run(options).exit_code
    except LocalCloudFormationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the state directory keeps what exists; run destroy to remove it", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lookoutvision_localcloud",
        description="Deploy and destroy CDK stacks against a local cloud: the Lookout for Vision emulator, the "
        "custom resources' real Lambda code, moto for IAM / S3 / SSM / CloudWatch Logs / ECR.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    helps = {
        "serve": "run the local cloud on one loopback endpoint until stopped; print the environment to use it",
        "cdk": "run the pinned AWS CDK CLI against `serve` (refused unless every endpoint is local)",
        "demo": "serve, then `cdk bootstrap`, `cdk deploy` and `cdk destroy` of the example app; "
        "fails if anything is left behind",
        "deploy": "create a synthesized stack's resources locally and keep them (state in --state-dir); "
        "on a stack deployed before, update it to the new template",
        "destroy": "delete a stack deployed with deploy, in reverse dependency order",
        "status": "show what the state directory holds: stacks, resources, physical ids",
        "up": "deploy then destroy in one run; fails if anything is left behind",
        "sample-dataset": "write a small Ground Truth dataset (a manifest and the PNG images it lists) into a "
        "folder, laid out as its keys in the bucket it names, for --upload or `aws s3 sync`",
        "upload": "put every file under FOLDER into the S3 of `serve` (the bucket is created if missing), keyed PREFIX "
        "+ its path in FOLDER, as `aws s3 mb` and `aws s3 sync` do (refused unless the endpoint is local)",
        "leftovers": "what the named stacks, deployed through `serve`, left behind; exits 1 unless nothing",
    }
    command = {name: commands.add_parser(name, help=text, description=text) for name, text in helps.items()}
    command["serve"].add_argument(
        "--port", type=int, default=serve.DEFAULT_PORT, help="port on 127.0.0.1; 0 picks a free one (%(default)s)"
    )
    command["serve"].add_argument(
        "--state-dir", type=Path, default=SERVE_STATE_DIR, help="kept between runs (%(default)s)"
    )
    command["cdk"].add_argument(
        "--endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL", f"http://127.0.0.1:{serve.DEFAULT_PORT}"),
        help="the local cloud's endpoint (default: $AWS_ENDPOINT_URL, else serve's default port)",
    )
    command["cdk"].add_argument(
        "--cdk-home",
        type=Path,
        help=f"the CLI's CDK_HOME (default: $CDK_HOME, as serve prints it, else {serve.default_cdk_home(os.environ)})",
    )
    cache_entry = pinned_cli.cli_cache_entry(serve.cache_root(os.environ), pinned_cli.pinned_version())
    command["cdk"].add_argument(
        "--cdk-cli",
        type=Path,
        default=os.environ.get(CDK_CLI_ENV) or None,
        help=f"the CDK CLI to run (default: ${CDK_CLI_ENV}, else the pinned one: node_modules/.bin/cdk of its version "
        f"here or in this package's checkout, else {cache_entry}, installed there on first use)",
    )
    command["cdk"].add_argument("args", nargs=argparse.REMAINDER, help="-- then the CLI's arguments")
    command["demo"].add_argument(
        "--state-dir", type=Path, default=None, help="the local cloud's state (default: a temporary directory)"
    )
    command["sample-dataset"].add_argument("folder", type=Path, help="where to write the files")
    command["sample-dataset"].add_argument(
        "--bucket", required=True, help="the bucket the manifest's source-ref URIs name"
    )
    command["sample-dataset"].add_argument(
        "--manifest-key",
        default="datasets/train/train.manifest",
        help="the manifest's key; the images go under images/ beside it (%(default)s)",
    )
    command["upload"].add_argument("folder", type=Path, help="the files to put")
    command["upload"].add_argument("target", metavar="s3://BUCKET[/PREFIX]", help="where to put them")
    command["leftovers"].add_argument("stacks", nargs="+", metavar="STACK", help="stack name")
    for name in ("upload", "leftovers"):
        command[name].add_argument(
            "--endpoint",
            default=os.environ.get("AWS_ENDPOINT_URL", f"http://127.0.0.1:{serve.DEFAULT_PORT}"),
            help="the local cloud's endpoint (default: $AWS_ENDPOINT_URL, else serve's default port)",
        )
    command["status"].add_argument("--stack", help="stack name (default: every stack)")
    command["status"].add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="the state directory")
    for name in ("deploy", "destroy", "up"):
        command[name].add_argument(
            "--app", type=Path, default=Path(driver.DEFAULT_APP), help="cloud assembly directory"
        )
        command[name].add_argument("--stack", help="stack name (default: the only stack)")
        command[name].add_argument(
            "--parameter", action="append", default=[], metavar="KEY=VALUE", help="a template parameter's value"
        )
        command[name].add_argument(
            "--emulator-setting",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="an emulator setting, e.g. training_outcome=TRAINING_FAILED or training=600 (service seconds)",
        )
        if name != "destroy":
            command[name].add_argument(
                "--upload",
                action="append",
                default=[],
                metavar="FOLDER=s3://BUCKET[/PREFIX]",
                help="before the deploy, put every file under FOLDER into the local S3 (the bucket is created if "
                "missing), keyed PREFIX + its path in FOLDER, as `aws s3 sync` does: the data the stack reads",
            )
        command[name].add_argument(
            "--state-dir",
            type=Path,
            default=DEFAULT_STATE_DIR,
            help=f"where stack and emulator state are kept between runs (default {DEFAULT_STATE_DIR})",
        )
    scale_defaults: dict[str, float | None] = {"serve": 1.0, "demo": DEMO_TIME_SCALE, "deploy": None, "up": None}
    scale_defaults["destroy"] = None
    for name, default in scale_defaults.items():
        shown = "1" if name in ("deploy", "up") else "the one the stack was deployed at" if default is None else ""
        shown = shown or f"{default:.4g}"
        command[name].add_argument(
            "--time-scale",
            type=float,
            default=default,
            help=f"real seconds per second of service time, e.g. 0.01: a 60 s training takes 0.6 s (default: {shown})",
        )
    return parser


def _positive(time_scale: float | None) -> None:
    if time_scale is not None and time_scale <= 0:
        raise LocalCloudFormationError("--time-scale must be positive")


def _cdk(args: argparse.Namespace) -> int:
    cli_args = args.args[1:] if args.args[:1] == ["--"] else args.args
    if not cli_args:
        raise LocalCloudFormationError(
            "no CDK CLI arguments: python -m lookoutvision_localcloud cdk -- deploy --require-approval never"
        )
    cdk_home = args.cdk_home.resolve() if args.cdk_home else serve.cdk_home(os.environ)
    endpoint = args.endpoint.rstrip("/")
    return cdk_cli.run_cdk(cli_args, endpoint_url=endpoint, cdk_home=cdk_home, cli=args.cdk_cli).returncode


def _options(args: argparse.Namespace) -> driver.RunOptions:
    _positive(args.time_scale)
    settings = Settings(region=REGION, account_id=ACCOUNT_ID)
    changes: dict[str, Any] = {}
    for key, value in _pairs(args.emulator_setting, "--emulator-setting").items():
        changes[key] = _number(value)
    try:
        settings.update(**changes)
    except (TypeError, ValueError) as exc:
        raise LocalCloudFormationError(f"--emulator-setting: {exc}") from exc
    return driver.RunOptions(
        app=args.app,
        stack=args.stack,
        time_scale=args.time_scale,
        state_dir=args.state_dir,
        parameters=_pairs(args.parameter, "--parameter"),
        emulator_settings=settings,
        s3_objects=_uploads(getattr(args, "upload", [])),
    )


def _uploads(items: list[str]) -> dict[str, dict[str, bytes]]:
    """``--upload FOLDER=s3://BUCKET[/PREFIX]`` values → bucket → key → body."""
    objects: dict[str, dict[str, bytes]] = {}
    for item in items:
        folder, sep, target = item.partition("=")
        if not sep:
            raise LocalCloudFormationError(f"--upload {item!r}: expected FOLDER=s3://BUCKET[/PREFIX]")
        try:
            bucket, prefix = s3_upload.parse_target(target)
            objects.setdefault(bucket, {}).update(s3_upload.read_folder(Path(folder), prefix))
        except (ValueError, OSError) as exc:
            raise LocalCloudFormationError(f"--upload {folder}={target}: {exc}") from exc
    return objects


def _sample_dataset(args: argparse.Namespace) -> int:
    dataset = SampleDataset(bucket=args.bucket, manifest_key=args.manifest_key)
    objects = dataset.objects()
    s3_upload.write_folder(args.folder, objects)
    print(
        f"wrote {args.manifest_key} and {len(objects) - 1} images ({dataset.normal} normal, {dataset.anomalous} "
        f"anomalous) under {args.folder}: upload them with --upload {args.folder}=s3://{args.bucket}"
    )
    return 0


def _local_endpoint(endpoint: str) -> str:
    """``endpoint`` without its trailing ``/``, once it is known to be a loopback address where the local cloud
    answers."""
    endpoint = endpoint.rstrip("/")
    if not cdk_cli.is_loopback(endpoint):
        raise cdk_cli.UnsafeEndpointError(f"refusing to use {endpoint}: not a local endpoint")
    cdk_cli.check_local_cloud(endpoint)
    return endpoint


def _upload(args: argparse.Namespace) -> int:
    try:
        bucket, prefix = s3_upload.parse_target(args.target)
        objects = {bucket: s3_upload.read_folder(args.folder, prefix)}
    except (ValueError, OSError) as exc:
        raise LocalCloudFormationError(f"upload {args.folder} {args.target}: {exc}") from exc
    count = s3_upload.upload(serve.local_client(_local_endpoint(args.endpoint), "s3"), objects)
    print(f"uploaded {count} files from {args.folder} to s3://{bucket}/{prefix}")
    return 0


def _leftovers(args: argparse.Namespace) -> int:
    report = serve.leftovers(_local_endpoint(args.endpoint), args.stacks)
    demo.print_leftovers(report)
    return 0 if report["clean"] else 1


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise LocalCloudFormationError(f"{option} {item!r}: expected KEY=VALUE")
        pairs[key.strip()] = value.strip()
    return pairs


def _number(value: str) -> Any:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return None if value.lower() == "none" else value


def project_root() -> Path:
    """The directory holding cdk.json: the current one, or the source checkout this package runs from."""
    for candidate in (Path.cwd(), Path(__file__).resolve().parents[1]):
        if (candidate / "cdk.json").is_file():
            return candidate
    raise LocalCloudFormationError("no cdk.json here: run the demo from the repository's root")
