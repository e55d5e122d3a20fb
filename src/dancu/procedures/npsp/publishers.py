"""Where status changes go: the portal's HTTP endpoint, or a JSON-lines file.

A publisher takes one change (its idempotency key and its JSON) and either delivers it or
raises :class:`PublishFailed`; ``outbound`` keeps the change and retries it later. Both make
a change count once on the far side: the HTTP one sends the key as ``Idempotency-Key`` (a
portal that already has it answers 2xx or 409, both taken as delivered), the file one does
not append a line whose key is already among the file's last lines.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import requests

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
TAIL_BYTES = 64 * 1024


class PublishFailed(Exception):
    """The far end did not take the change; it stays queued for a later attempt."""


class Publisher(Protocol):
    def publish(self, key: str, body: dict[str, Any]) -> None: ...


class HttpPublisher:
    """POST each change as JSON; a few quick retries with doubling waits, then give up
    this attempt (the delivery queue's own back-off takes over)."""

    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        attempts: int = 3,
        backoff_seconds: float = 0.5,
        timeout_seconds: float = 5.0,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self._token = token
        self._attempts = max(1, attempts)
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._http = http or requests.Session()
        self._sleep = sleep

    def publish(self, key: str, body: dict[str, Any]) -> None:
        headers = {"Idempotency-Key": key}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        problem = ""
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                answer = self._http.post(
                    self.url, json=body, headers=headers, timeout=self._timeout
                )
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if 200 <= answer.status_code < 300 or answer.status_code == 409:
                return  # 409: the portal already has this key
            problem = f"HTTP {answer.status_code}"
            if answer.status_code not in RETRY_STATUSES:
                break  # refused as sent: retrying now will not help; later might
        raise PublishFailed(problem[:2000])


class FilePublisher:
    """Append each change as one JSON line (``event_key`` first), fsync'd, under a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def publish(self, key: str, body: dict[str, Any]) -> None:
        line = json.dumps({"event_key": key, **body}, ensure_ascii=False, sort_keys=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as out:
                fcntl.flock(out, fcntl.LOCK_EX)
                if key in self._recent_keys(out):
                    return  # written before a crash kept it from being marked delivered
                out.write(line.encode() + b"\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _recent_keys(out: Any) -> set[str]:
        size = out.seek(0, os.SEEK_END)
        out.seek(max(0, size - TAIL_BYTES))
        keys = set()
        for raw in out.read().splitlines():
            try:
                keys.add(str(json.loads(raw).get("event_key")))
            except (ValueError, AttributeError):
                continue  # the cut first line of the tail
        return keys
