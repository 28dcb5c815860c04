"""moto server with slow RDS instances, for tests and the demo.

moto makes a created or restored DB instance `available` at once. Real RDS takes minutes to
hours, which is what the restore workflows must track. This launcher runs the pinned moto server
(.tools/venv, see scripts/install-tools.sh) with one change: every DB instance created after the
launcher starts (CreateDBInstance, RestoreDBInstanceFromDBSnapshot,
RestoreDBInstanceToPointInTime) reports `creating` for the first 60% of a configurable duration,
then `backing-up`, then its outcome: `available`, or `failed` when told so.

It also makes both restores start from RDS's defaults, as the RDS API reference describes them,
where moto copies the source's settings: unless the call names them, a restored instance gets the
VPC's default security group, the engine's default parameter group and no subnet group (moto's
point-in-time restore copies all three, its snapshot restore copies the subnet group).

Usage (same arguments as moto_server):
    .tools/bin/python scripts/moto_launcher.py -H 127.0.0.1 -p 4566

Configuration, read when each instance is created:
    SLOW_RDS_SECONDS   seconds from creation to the outcome (default 0: moto's instant behaviour)
    SLOW_RDS_OUTCOME   `available` (default) or `failed`
    SLOW_RDS_RESTORE_RESPONSE_DELAY   seconds a restore call waits, after the instance exists,
                       before it answers (default 0): a window in which a test can kill the caller
or at run time, over HTTP on the same port:
    POST /_slow_rds/config   {"seconds": 120, "outcome": "failed", "restoreResponseDelay": 5}
                             -> the configuration now
    GET  /_slow_rds/config
    POST /_slow_rds/advance  {"seconds": 600}   moves the launcher's clock forward, so a test on
                             Temporal's time-skipping server can keep both clocks in step
"""

import json
import os
import threading
import time
from collections.abc import Mapping

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.rds.models import DBInstance, RDSBackend
from moto.server import main

OUTCOMES = ("available", "failed")
_lock = threading.Lock()
_config = {
    "seconds": float(os.environ.get("SLOW_RDS_SECONDS", "0")),
    "outcome": os.environ.get("SLOW_RDS_OUTCOME", "available"),
    "restoreResponseDelay": float(os.environ.get("SLOW_RDS_RESTORE_RESPONSE_DELAY", "0")),
}
_clock_offset = 0.0


def clock() -> float:
    return time.monotonic() + _clock_offset


def _status(self: DBInstance) -> str:
    plain = self.__dict__.get("_plain_status", "available")
    timeline = self.__dict__.get("_slow_timeline")
    # Only the creation is slow: a stop, reboot or deletion reports moto's own status.
    if timeline is None or plain != "available":
        return plain
    started, seconds, outcome = timeline
    elapsed = clock() - started
    if elapsed >= seconds:
        return outcome
    return "creating" if elapsed < 0.6 * seconds else "backing-up"


def _set_status(self: DBInstance, value: str) -> None:
    self.__dict__["_plain_status"] = value


DBInstance.status = property(_status, _set_status)  # type: ignore[assignment]

_create_db_instance = RDSBackend.create_db_instance
# Settings a restore takes from its call only; set while a restore call runs.
RESTORE_DEFAULTED = ("vpc_security_group_ids", "db_parameter_group_name", "db_subnet_group_name")
_restoring = threading.local()


def _slow_create_db_instance(self, db_kwargs):  # type: ignore[no-untyped-def]
    given = getattr(_restoring, "given", None)
    if given is not None:
        db_kwargs = {k: v for k, v in db_kwargs.items() if k not in RESTORE_DEFAULTED or k in given}
    database = _create_db_instance(self, db_kwargs)
    with _lock:
        seconds, outcome = _config["seconds"], _config["outcome"]
    if seconds > 0 or outcome != "available":
        database.__dict__["_slow_timeline"] = (clock(), seconds, outcome)
    return database


RDSBackend.create_db_instance = _slow_create_db_instance  # type: ignore[method-assign]


def _answer_late(restore):  # type: ignore[no-untyped-def]
    def late(*args, **kwargs):  # type: ignore[no-untyped-def]
        # The request's parameters: a mapping that answers snake_case keys too.
        overrides = args[-1] if args and isinstance(args[-1], Mapping) else {}
        _restoring.given = {k for k in RESTORE_DEFAULTED if overrides.get(k)}
        try:
            database = restore(*args, **kwargs)
        finally:
            _restoring.given = None
        with _lock:
            delay = _config["restoreResponseDelay"]
        time.sleep(delay)  # the instance already exists; only the answer is late
        return database

    return late


for _name in ("restore_db_instance_from_db_snapshot", "restore_db_instance_to_point_in_time"):
    setattr(RDSBackend, _name, _answer_late(getattr(RDSBackend, _name)))


def _json(start_response, status: str, body: dict):  # type: ignore[no-untyped-def]
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _control(environ, start_response):  # type: ignore[no-untyped-def]
    global _clock_offset
    path = environ.get("PATH_INFO", "")
    body = {}
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _json(start_response, "400 Bad Request", {"error": "body is not JSON"})
    with _lock:
        if path == "/_slow_rds/config":
            if "seconds" in body:
                if not isinstance(body["seconds"], (int, float)) or body["seconds"] < 0:
                    return _json(start_response, "400 Bad Request", {"error": "seconds: a number >= 0"})
                _config["seconds"] = float(body["seconds"])
            if "restoreResponseDelay" in body:
                delay = body["restoreResponseDelay"]
                if not isinstance(delay, (int, float)) or delay < 0:
                    return _json(start_response, "400 Bad Request", {"error": "restoreResponseDelay: a number >= 0"})
                _config["restoreResponseDelay"] = float(delay)
            if "outcome" in body:
                if body["outcome"] not in OUTCOMES:
                    return _json(start_response, "400 Bad Request", {"error": f"outcome: one of {OUTCOMES}"})
                _config["outcome"] = body["outcome"]
            return _json(start_response, "200 OK", dict(_config))
        if path == "/_slow_rds/advance":
            seconds = body.get("seconds")
            if not isinstance(seconds, (int, float)) or seconds < 0:
                return _json(start_response, "400 Bad Request", {"error": "seconds: a number >= 0"})
            _clock_offset += float(seconds)
            return _json(start_response, "200 OK", {"advancedSeconds": _clock_offset})
    return _json(start_response, "404 Not Found", {"error": f"unknown path {path}"})


_dispatch = DomainDispatcherApplication.__call__


def _call(self, environ, start_response):  # type: ignore[no-untyped-def]
    if environ.get("PATH_INFO", "").startswith("/_slow_rds/"):
        return _control(environ, start_response)
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _call  # type: ignore[method-assign]

if _config["outcome"] not in OUTCOMES:
    raise SystemExit(f"SLOW_RDS_OUTCOME must be one of {OUTCOMES}, not {_config['outcome']!r}")

if __name__ == "__main__":
    main()
