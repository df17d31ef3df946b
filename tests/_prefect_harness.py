"""One Prefect test API (``prefect_test_harness``) shared by every test directory that needs it.

Session fixtures in different ``conftest.py`` files are separate fixtures; entering the
harness through :func:`shared_prefect_harness` starts it once per process however many
of them are active, and stops it when the last one ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from prefect.settings import PREFECT_SERVER_ANALYTICS_ENABLED, temporary_settings
from prefect.testing.utilities import prefect_test_harness

_lock = threading.Lock()
_users = 0
_stack: ExitStack | None = None


@contextmanager
def shared_prefect_harness(startup_timeout: int = 60) -> Iterator[None]:
    """Run the block inside the process-wide Prefect test API (started on first use)."""
    global _users, _stack
    with _lock:
        if _users == 0:
            _stack = ExitStack()
            # no telemetry from the test server (its heartbeat also races SQLite at start)
            _stack.enter_context(temporary_settings({PREFECT_SERVER_ANALYTICS_ENABLED: False}))
            _stack.enter_context(prefect_test_harness(server_startup_timeout=startup_timeout))
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _stack is not None:
                _stack.close()
                _stack = None
