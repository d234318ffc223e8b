"""Fixtures shared across the test tree live in tests/fixtures/ and are loaded here."""

pytest_plugins = [
    "tests.fixtures.emulator",
    "tests.fixtures.assembly",
    "tests.fixtures.installed",
]
