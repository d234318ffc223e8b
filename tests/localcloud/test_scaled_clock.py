"""The one clock: service time at a scale, advanced, set and rescaled, and read again from its line."""

from __future__ import annotations

import time

import pytest

from lookoutvision_localcloud.scaled_clock import ScaledClock


def test_service_time_runs_at_the_scale_from_its_origin() -> None:
    clock = ScaledClock(0.001, origin=time.time() - 2.0)  # two real seconds ago: 2000 service seconds
    assert clock.now() - clock.origin == pytest.approx(2000.0, abs=100.0)
    assert clock.real_seconds(60.0) == pytest.approx(0.06)


def test_advance_moves_it_forward_only() -> None:
    clock = ScaledClock(1e6)  # standing still for the length of the test
    before = clock.now()
    assert clock.advance(3600.0) == pytest.approx(before + 3600.0, abs=1.0)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1.0)


def test_set_goes_on_from_a_saved_reading() -> None:
    clock = ScaledClock(1e6)
    clock.set(1_000.0)
    assert clock.now() == pytest.approx(1_000.0, abs=1.0)


def test_rescale_changes_the_pace_without_a_jump() -> None:
    clock = ScaledClock(1.0)
    clock.advance(500.0)
    before = clock.now()
    clock.rescale(1e6)
    assert clock.now() == pytest.approx(before, abs=1.0)
    assert clock.scale == 1e6
    with pytest.raises(ValueError, match="positive"):
        clock.rescale(0.0)


def test_its_line_rebuilds_the_same_clock_elsewhere() -> None:
    """What an execution environment receives: another instance that reads the same service time."""
    clock = ScaledClock(0.01)
    clock.advance(86_400.0)
    origin, reading, scale = clock.line()
    copy = ScaledClock(scale, origin=origin, reading=reading)
    assert copy.now() == pytest.approx(clock.now(), abs=1.0)


def test_a_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(-1.0)
