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

from .exceptions import LookoutVisionError
from .faults import Fault
from .rest_json import Reply

if TYPE_CHECKING:
    from .server import Emulator

PREFIX = "/_emulator/"


def handle_admin(emulator: Emulator, method: str, path: str, body: bytes) -> Reply:
    """Answer one control request."""
    try:
        data: Any = json.loads(body) if body.strip() else {}
        result = _dispatch(emulator, method, path[len(PREFIX) :].strip("/"), data)
    except (ValueError, TypeError, KeyError) as exc:
        return _json(400, {"message": f"{type(exc).__name__}: {exc}"})
    except LookoutVisionError as exc:
        return _json(exc.status, {"code": exc.code, "message": exc.message})
    if result is None:
        return _json(404, {"message": f"no control operation {method} {path}"})
    return _json(200, result)


def _dispatch(emulator: Emulator, method: str, route: str, data: dict[str, Any]) -> Any:
    backend = emulator.backend
    if (method, route) == ("GET", "calls"):
        return [dataclasses.asdict(call) for call in emulator.calls]
    if (method, route) == ("GET", "history"):
        return [dataclasses.asdict(change) for change in backend.history()]
    if (method, route) == ("GET", "state"):
        return {"state": backend.to_state(), "inventory": backend.inventory()}
    if (method, route) == ("POST", "reset"):
        emulator.reset()
        return {}
    if (method, route) == ("POST", "faults"):
        operations = data.pop("operations", None)
        fault = Fault(**data, operations=set(operations) if operations is not None else None)
        emulator.faults.add(fault)
        return {"faults": len(emulator.faults.active)}
    if (method, route) == ("DELETE", "faults"):
        emulator.faults.clear()
        return {}
    if (method, route) == ("POST", "clock/advance"):
        return {"time": emulator.clock.advance(float(data["seconds"]))}
    if (method, route) == ("POST", "settings"):
        return emulator.configure(**data).to_dict()
    if (method, route) == ("POST", "status"):
        backend.set_status(data["project_name"], str(data["model_version"]), data["status"])
        return {}
    if (method, route) == ("POST", "hold"):
        backend.hold_status(data["project_name"], str(data["model_version"]), data["status"])
        return {}
    if (method, route) == ("DELETE", "hold"):
        backend.release_status(data["project_name"], str(data["model_version"]), data.get("status"))
        return {}
    return None


def _json(status: int, document: Any) -> Reply:
    return Reply(status, {"Content-Type": "application/json"}, json.dumps(document, default=str).encode())
