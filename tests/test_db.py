"""The embedded SQLite database under concurrent requests (PostgreSQL needs no such care)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from dancu.db import make_engine


def test_a_transaction_that_reads_then_writes_survives_a_commit_in_between(tmp_path: Path):
    """With a deferred BEGIN the late write fails at once: "database is locked"."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (who TEXT)"))
    read_done, errors = threading.Event(), []

    def sealer() -> None:  # another connection that commits while the request is open
        read_done.wait()
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO note VALUES ('sealer')"))
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)

    other = threading.Thread(target=sealer)
    other.start()
    with engine.begin() as request:
        request.execute(text("SELECT count(*) FROM note")).all()
        read_done.set()
        time.sleep(0.3)  # the sealer tries to commit now
        request.execute(text("INSERT INTO note VALUES ('request')"))
    other.join()
    assert errors == []
    with engine.connect().execution_options(sqlite_reader=True) as conn:
        assert sorted(conn.execute(text("SELECT who FROM note")).scalars()) == [
            "request",
            "sealer",
        ]
    engine.dispose()
