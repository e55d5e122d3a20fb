"""The periodic background runner the server uses to seal the audit log."""

from __future__ import annotations

import threading

from dancu.common.tasks import Periodic


def test_a_periodic_job_runs_repeatedly_and_once_more_on_stop():
    runs: list[int] = []
    twice = threading.Event()

    def job() -> None:
        runs.append(1)
        if len(runs) >= 2:
            twice.set()

    periodic = Periodic("test-job", 0.01, job)
    periodic.start()
    assert twice.wait(5)
    periodic.stop()
    counted = len(runs)
    assert counted >= 3  # two in the loop, one on stop
    assert not periodic._thread.is_alive()


def test_a_failing_run_is_logged_and_the_next_one_still_happens(caplog):
    calls: list[int] = []
    recovered = threading.Event()

    def job() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        recovered.set()

    periodic = Periodic("flaky-job", 0.01, job)
    periodic.start()
    assert recovered.wait(5)
    periodic.stop()
    assert "background job flaky-job failed" in caplog.text
    assert "database away" in caplog.text
