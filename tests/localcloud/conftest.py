"""The shared emulator, slowed to a time scale at which a local function's start-up is negligible."""

from __future__ import annotations

import pytest

from lookoutvision_localcloud.lookoutvision import Emulator

# 0.005 real s per service s: a 60 s training takes 0.3 s, a 900 s Lambda timeout 4.5 s. Much faster
# and the ~0.3 s a new execution environment needs would count as minutes of service time.
DRIVER_TIME_SCALE = 0.005


@pytest.fixture
def local_emulator(emulator: Emulator) -> Emulator:
    emulator.configure(time_scale=DRIVER_TIME_SCALE)
    return emulator
