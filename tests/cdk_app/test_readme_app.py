"""README's own app, as written: its ``app.py`` and ``cdk.json`` synthesize a stack, and its snippet of a
referenced dataset builds in a stack of the same shape.

The app runs in this process, its asset not bundled.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from lookoutvision_cdk_provider import consts
from tests.fixtures.assembly import SKIP_BUNDLING

pytestmark = pytest.mark.synth

README = Path(__file__).resolve().parents[2] / "README.md"


def _block(after: str, language: str) -> str:
    """The first ``language`` code block of README after the line that ends with ``after``."""
    text = README.read_text()
    start = text.index(f"{after}\n")
    found = re.compile(rf"```{language}\n(.*?)\n```", re.DOTALL).search(text, start)
    assert found is not None, after
    return found.group(1) + "\n"


def _run(code: str, outdir: Path) -> None:
    """Run ``code`` as ``python app.py``, its ``App()`` given what the CDK CLI passes through the environment: the
    output directory and the context (here: no bundling). The jsii runtime, started once per test session, would
    not see a later test's environment."""
    assert code.count("app = App()\n") == 1, code
    code = code.replace("app = App()\n", f"app = App(outdir={str(outdir)!r}, context={SKIP_BUNDLING!r})\n")
    exec(compile(code, "app.py", "exec"), {"__name__": "__main__"})


def _resources(template: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == resource_type]


def test_the_readme_app_and_its_cdk_json_synthesize(tmp_path: Path) -> None:
    cdk_json = json.loads(_block("`cdk.json`:", "json"))
    assert cdk_json == {"app": "python app.py"}

    _run(_block("`app.py`:", "python"), tmp_path)

    template = json.loads((tmp_path / "InspectionStack.template.json").read_text())
    [model] = _resources(template, consts.MODEL_RESOURCE_TYPE)
    [dataset] = _resources(template, consts.DATASET_RESOURCE_TYPE)
    assert len(_resources(template, "AWS::LookoutVision::Project")) == 1
    assert model["Properties"][consts.HOSTING] == {consts.MIN_INFERENCE_UNITS: 1, consts.MAX_INFERENCE_UNITS: 2}
    assert dataset["Properties"][consts.DATASET_TYPE] == "train"
    assert (tmp_path / "manifest.json").exists()


def test_the_readme_snippet_of_a_referenced_dataset_builds(tmp_path: Path) -> None:
    snippet = _block("like a declared dataset, and with one:", "python")
    app = textwrap.dedent(
        """
        from aws_cdk import App, Stack
        from aws_cdk import aws_s3 as s3
        from constructs import Construct

        from lookoutvision_cdk import LookoutVisionDataset, LookoutVisionModel


        class ReferencingStack(Stack):
            def __init__(self, scope: Construct, id: str) -> None:
                super().__init__(scope, id)
        """
    )
    app += snippet + '\n\napp = App()\nReferencingStack(app, "ReferencingStack")\napp.synth()\n'

    _run(app, tmp_path)

    template = json.loads((tmp_path / "ReferencingStack.template.json").read_text())
    [model] = _resources(template, consts.MODEL_RESOURCE_TYPE)
    [dataset] = _resources(template, consts.DATASET_RESOURCE_TYPE)  # the declared test dataset only
    assert dataset["Properties"][consts.DATASET_TYPE] == "test"
    assert model["Properties"][consts.PROJECT_NAME] == "solder-joints"
    granted = json.dumps(_resources(template, "AWS::IAM::Policy"))
    assert ":s3:::line-3-images/camera-1/*" in granted
