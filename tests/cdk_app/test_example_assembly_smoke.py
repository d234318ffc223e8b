"""The shared example_assembly fixture: what other test modules rely on."""

from __future__ import annotations

from tests.fixtures.assembly import Assembly


def test_fixture_exposes_directory_stack_name_and_template(example_assembly: Assembly) -> None:
    assert (example_assembly.directory / "manifest.json").is_file()
    assert example_assembly.template_path.is_file()
    assert example_assembly.stack_name == "LookoutVisionExample"
    assert example_assembly.resources_of_type("Custom::LookoutVisionModel")
