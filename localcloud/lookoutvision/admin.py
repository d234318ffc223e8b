"""A small control API under ``/_emulator/`` for an emulator running in another process (the CLI).

    GET    /_emulator/calls            every call answered (as in ``Emulator.calls``)
    GET    /_emulator/history          every status change (``backend.history()``)
    GET    /_emulator/state            the saved-state document and an inventory
    POST   /_emulator/reset            forget everything
    POST   /_emulator/faults           add a fault: {"kind": "throttling", "operations": ["DeleteModel"], "count": 3}
    DELETE /_emulator/faults           clear the faults
    POST   /_emulator/clock/advance    {"seconds": 28800}
    POST   /_emulator/settings         {"training": 5.0, "training_outcome": "TRAINING_FAILED", ...}
    POST   /_emulator/status           {"project_name": "p", "model_version": "1", "status": "HOSTED"}
    POST   /_emulator/hold             {"project_name": "p", "model_version": "1", "status": "TRAINING"}
    DELETE /_emulator/hold             {"project_name": "p", "model_version": "1"} (release)

The service's own paths all start with ``/2020-11-20/``, so these never collide with them.
Calls to this API are not recorded as service calls.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from .exceptions import LookoutVisionError
from .faults import Fault
from .responses import Reply

if TYPE_CHECKING:
    from .server import Emulator

PREFIX = "/_emulator/"


def handle_admin(emulator: Emulator, method: str, path: str, body: bytes) -> Reply:
    """Answer one control request."""
    try:
        operation, _ = _ROUTES.match(path, method=method)
    except HTTPException:
        return _json(404, {"message": f"no control operation {method} {path}"})
    try:
        data: Any = json.loads(body) if body.strip() else {}
        result = operation(emulator, data)
    except (ValueError, TypeError, KeyError) as exc:
        return _json(400, {"message": f"{type(exc).__name__}: {exc}"})
    except LookoutVisionError as exc:
        return _json(exc.status, {"code": exc.code, "message": exc.message})
    return _json(200, result)


def _calls(emulator: Emulator, data: dict[str, Any]) -> Any:
    return [dataclasses.asdict(call) for call in emulator.calls]


def _history(emulator: Emulator, data: dict[str, Any]) -> Any:
    return [dataclasses.asdict(change) for change in emulator.backend.history()]


def _state(emulator: Emulator, data: dict[str, Any]) -> Any:
    return {"state": emulator.backend.to_state(), "inventory": emulator.backend.inventory()}


def _reset(emulator: Emulator, data: dict[str, Any]) -> Any:
    emulator.reset()
    return {}


def _add_fault(emulator: Emulator, data: dict[str, Any]) -> Any:
    operations = data.pop("operations", None)
    emulator.faults.add(Fault(**data, operations=set(operations) if operations is not None else None))
    return {"faults": len(emulator.faults.active)}


def _clear_faults(emulator: Emulator, data: dict[str, Any]) -> Any:
    emulator.faults.clear()
    return {}


def _advance_clock(emulator: Emulator, data: dict[str, Any]) -> Any:
    return {"time": emulator.clock.advance(float(data["seconds"]))}


def _settings(emulator: Emulator, data: dict[str, Any]) -> Any:
    return emulator.configure(**data).to_dict()


def _set_status(emulator: Emulator, data: dict[str, Any]) -> Any:
    emulator.backend.set_status(data["project_name"], str(data["model_version"]), data["status"])
    return {}


def _hold(emulator: Emulator, data: dict[str, Any]) -> Any:
    emulator.backend.hold_status(data["project_name"], str(data["model_version"]), data["status"])
    return {}


def _release(emulator: Emulator, data: dict[str, Any]) -> Any:
    emulator.backend.release_status(data["project_name"], str(data["model_version"]), data.get("status"))
    return {}


_ROUTES = Map(
    [
        Rule(f"{PREFIX}calls", methods=["GET"], endpoint=_calls),
        Rule(f"{PREFIX}history", methods=["GET"], endpoint=_history),
        Rule(f"{PREFIX}state", methods=["GET"], endpoint=_state),
        Rule(f"{PREFIX}reset", methods=["POST"], endpoint=_reset),
        Rule(f"{PREFIX}faults", methods=["POST"], endpoint=_add_fault),
        Rule(f"{PREFIX}faults", methods=["DELETE"], endpoint=_clear_faults),
        Rule(f"{PREFIX}clock/advance", methods=["POST"], endpoint=_advance_clock),
        Rule(f"{PREFIX}settings", methods=["POST"], endpoint=_settings),
        Rule(f"{PREFIX}status", methods=["POST"], endpoint=_set_status),
        Rule(f"{PREFIX}hold", methods=["POST"], endpoint=_hold),
        Rule(f"{PREFIX}hold", methods=["DELETE"], endpoint=_release),
    ],
    strict_slashes=False,
).bind("emulator")


def _json(status: int, document: Any) -> Reply:
    return Reply(status, {"Content-Type": "application/json"}, json.dumps(document, default=str).encode())
