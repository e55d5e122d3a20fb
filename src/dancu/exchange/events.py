"""The topics the exchange domain emits (payloads in the comments)."""

from __future__ import annotations

# A bank's customer list waits for a worker: {"job_id": int}. The handler
# (cleaning.tasks.on_cleaning_queued) enqueues the job once the upload's transaction commits.
CLEANING_QUEUED = "exchange.cleaning_queued"
