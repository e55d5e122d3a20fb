"""Background work inside a server process: a job run every few seconds on its own thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``job`` every ``interval`` seconds on a daemon thread, and once more on ``stop``.

    A failing run is logged and the next one tries again: the jobs given here (sealing the
    audit log) are idempotent and pick up where the last success left off.
    """

    def __init__(self, name: str, interval: float, job: Callable[[], object]) -> None:
        self.name, self.interval, self.job = name, interval, job
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)
        self._run()

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            self._run()

    def _run(self) -> None:
        try:
            self.job()
        except Exception:
            log.exception("background job %s failed; retrying in %.1f s", self.name, self.interval)
