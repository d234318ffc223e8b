"""``python -m localcloud deploy|destroy|up|demo``: a synthesized CDK stack, deployed and destroyed locally."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from localcloud.cloudformation import driver
from localcloud.cloudformation.errors import LocalCloudFormationError
from localcloud.cloudformation.state import DEFAULT_STATE_DIR, StateDirectory
from localcloud.lookoutvision import Settings

# A demo plays a 60 s training in about 1 s.
DEMO_TIME_SCALE = 1 / 60
CDK_ENV = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20", "CDK_DISABLE_VERSION_CHECK": "1"}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "status":
            print(driver.status(StateDirectory(args.state_dir), args.stack))
            return 0
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
        prog="python -m localcloud",
        description="Deploy and destroy a synthesized CDK stack (cdk.out) against a local cloud: the Lookout for "
        "Vision emulator, the custom resources' real Lambda code, moto for IAM / S3 / CloudWatch Logs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    helps = {
        "deploy": "create the stack's resources locally and keep them (state in --state-dir); "
        "on a stack deployed before, update it to the new template",
        "destroy": "delete a stack deployed with deploy, in reverse dependency order",
        "status": "show what the state directory holds: stacks, resources, physical ids",
        "up": "deploy then destroy in one run; fails if anything is left behind",
        "demo": "synthesize the example app with `npx cdk synth`, then `up` it at a demo time scale",
    }
    for name, text in helps.items():
        command = commands.add_parser(name, help=text, description=text)
        if name == "status":
            command.add_argument("--stack", help="stack name (default: every stack)")
            command.add_argument("--state-dir", type=Path, default=Path(DEFAULT_STATE_DIR), help="the state directory")
            continue
        if name != "demo":
            command.add_argument("--app", type=Path, default=Path(driver.DEFAULT_APP), help="cloud assembly directory")
            command.add_argument("--stack", help="stack name (default: the only stack)")
            command.add_argument(
                "--parameter", action="append", default=[], metavar="KEY=VALUE", help="a template parameter's value"
            )
            command.add_argument(
                "--emulator-setting",
                action="append",
                default=[],
                metavar="KEY=VALUE",
                help="an emulator setting, e.g. training_outcome=TRAINING_FAILED or training=600 (service seconds)",
            )
        scale_default = {"demo": f"{DEMO_TIME_SCALE:.4f}", "destroy": "the one the stack was deployed at"}
        command.add_argument(
            "--time-scale",
            type=float,
            default=DEMO_TIME_SCALE if name == "demo" else None,
            help="real seconds per second of service time, e.g. 0.01: a 60 s training takes 0.6 s "
            f"(default: {scale_default.get(name, '1')})",
        )
        command.add_argument(
            "--state-dir",
            type=Path,
            default=None if name == "demo" else Path(DEFAULT_STATE_DIR),
            help="where stack and emulator state are kept between runs"
            + (" (default: a temporary directory)" if name == "demo" else f" (default {DEFAULT_STATE_DIR})"),
        )
    return parser


def _options(args: argparse.Namespace) -> driver.RunOptions:
    if args.time_scale is not None and args.time_scale <= 0:
        raise LocalCloudFormationError("--time-scale must be positive")
    settings = Settings(region=driver.REGION, account_id=driver.ACCOUNT_ID)
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
    )


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


def _demo(args: argparse.Namespace) -> int:
    root = project_root()
    npx = shutil.which("npx")
    if npx is None:
        raise LocalCloudFormationError("npx not found: install Node.js and npm (make demo does the rest)")
    print("$ npx cdk synth --quiet   (the example app, into cdk.out)", flush=True)
    synth = subprocess.run(  # noqa: S603 - fixed command line
        [npx, "--no-install", "cdk", "synth", "--quiet", "--output", "cdk.out"],
        cwd=root,
        env={**os.environ, **CDK_ENV},
        check=False,
    )
    if synth.returncode != 0:
        print(f"error: cdk synth failed (exit {synth.returncode})", file=sys.stderr)
        return synth.returncode or 1
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as temporary:
        state_dir = args.state_dir or Path(temporary)
        print(f"$ python -m localcloud up --app cdk.out --time-scale {args.time_scale:g}\n", flush=True)
        options = driver.RunOptions(app=root / "cdk.out", time_scale=args.time_scale, state_dir=state_dir)
        return driver.up(options).exit_code
