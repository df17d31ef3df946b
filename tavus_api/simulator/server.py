"""Run the simulator: uvicorn on a loopback port, in a thread (tests) or the foreground (CLI).

Example:
    >>> from prefect_tavus.tavus_api.simulator import FaultRule, SimulatorConfig, SimulatorServer
    >>> cfg = SimulatorConfig(api_keys=["sim-key"], clock="manual", generation_seconds=5)
    >>> with SimulatorServer(cfg) as sim:  # doctest: +SKIP
    ...     r = httpx.post(f"{sim.base_url}/v2/videos", headers={"x-api-key": sim.api_key},
    ...                    json={"replica_id": DEFAULT_REPLICA_ID, "script": "Hello"})
    ...     sim.advance(10)   # queued -> generating -> ready, rendered, before it returns
    ...     sim.set_faults([FaultRule(route="POST /v2/videos", kind="lost_response", count=1)])
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from prefect_tavus.tavus_api.simulator.app import build_app
from prefect_tavus.tavus_api.simulator.callbacks import CallbackDelivery
from prefect_tavus.tavus_api.simulator.config import SimulatorConfig
from prefect_tavus.tavus_api.simulator.faults import FaultRule
from prefect_tavus.tavus_api.simulator.state import SimulatorState

logger = logging.getLogger(__name__)


class SimulatorServer:
    """A Tavus-compatible server on ``host:port`` (``port=0``: a free one).

    Use as a context manager or call :meth:`start` / :meth:`stop`. The data dir (inputs,
    renders, published videos) is ``config.data_dir`` or a temp dir removed on stop.
    """

    def __init__(
        self, config: SimulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SimulatorConfig()
        self.host = host
        self._owns_data_dir = self.config.data_dir is None
        data_dir = self.config.data_dir or Path(tempfile.mkdtemp(prefix="tavus-sim-"))
        self.data_dir = Path(data_dir)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
        # without it every response waits ~40 ms for a delayed ACK (Nagle).
        self._sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = (self.config.public_base_url or f"http://{shown_host}:{self.port}").rstrip(
            "/"
        )
        self.state = SimulatorState(self.config, self.data_dir, self.base_url)
        self._uvicorn = uvicorn.Server(
            uvicorn.Config(
                build_app(self.state),
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_keep_alive=30,
                timeout_graceful_shutdown=2,
                backlog=4096,
            )
        )
        self._thread: threading.Thread | None = None
        self._stop_ticker = threading.Event()
        self._ticker: threading.Thread | None = None
        self._closed = False

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The first accepted API key."""
        return self.state.config.api_keys[0]

    def start(self) -> SimulatorServer:
        """Serve in a background thread; returns when the server accepts connections."""
        if self._thread is not None:
            return self
        self._thread = threading.Thread(
            target=self._uvicorn.run,
            kwargs={"sockets": [self._sock]},
            name=f"tavus-sim-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._start_ticker()
        if not self._wait_started(timeout=15):
            self.stop()
            raise RuntimeError(f"tavus-sim did not start on {self.base_url}")
        return self

    def _wait_started(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._uvicorn.started:
                return True
            if self._thread is None or not self._thread.is_alive():
                return False
            time.sleep(0.01)
        return False

    def serve_forever(self) -> None:
        """Serve until SIGINT/SIGTERM, then shut down cleanly; used by ``tavus-sim``.

        Must be called from the main thread (it installs the signal handlers).
        """
        stop = threading.Event()
        previous = {
            sig: signal.signal(sig, lambda *_: stop.set())
            for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.start()
            while not stop.wait(0.5):
                if self._thread is None or not self._thread.is_alive():
                    break
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def stop(self) -> None:
        """Stop serving, finish background work and remove a temporary data dir."""
        if self._thread is not None:
            self._uvicorn.should_exit = True
            self._thread.join(timeout=15)
            self._thread = None
        self._shutdown()

    def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_ticker.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
        self.state.close()
        self._sock.close()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_ticker(self) -> None:
        def tick() -> None:
            while not self._stop_ticker.wait(self.state.config.tick_seconds):
                if self.state.config.clock == "real":
                    try:
                        self.state.process(wait=False)
                    except Exception:  # keep serving; the next tick retries
                        logger.exception("tavus-sim lifecycle tick failed")

        self._ticker = threading.Thread(target=tick, name="tavus-sim-clock", daemon=True)
        self._ticker.start()

    # --- control (same as the /_sim/ admin API) ------------------------------------------------

    def url(self, path: str) -> str:
        """``base_url`` + ``path``."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def advance(self, seconds: float) -> float:
        """Move the clock forward; every transition due (downloads, renders, callbacks
        included) has happened when this returns. Returns the new clock time."""
        return self.state.advance(seconds)

    def stats(self) -> dict[str, Any]:
        """Requests per route template and status, faults fired, videos by status, ..."""
        return self.state.snapshot()

    def set_faults(self, rules: list[FaultRule], seed: int | None = None) -> None:
        """Replace the fault rules (counters restart; the RNG restarts from ``seed``)."""
        self.state.faults.set_rules(list(rules), seed)

    def clear_faults(self) -> None:
        self.state.faults.set_rules([])

    def callbacks(self) -> list[CallbackDelivery]:
        """Every callback attempt so far, oldest first."""
        return self.state.callbacks.deliveries()

    def reset(self, **overrides: Any) -> None:
        """Fresh state (no videos, counters, faults; clock restarted). Keyword arguments
        change the config from now on, e.g. ``reset(page_base=1)``; a plain ``reset()``
        goes back to the config the server was started with."""
        self.state.reset(self.state.config_with(overrides))
