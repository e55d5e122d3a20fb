"""The topics the linkage domain emits (payloads in the docstrings)."""

from __future__ import annotations

# A run waits for a worker: {"job_id": int, "source_id": int}. The linkage's own handler
# (tasks.on_run_queued) enqueues the job once the transaction that queued the run commits.
RUN_QUEUED = "linkage.run_queued"

# An upload waits for a worker to import it: {"import_id": int}. The handler
# (tasks.on_import_queued) enqueues the import job once the upload's transaction commits.
IMPORT_QUEUED = "linkage.import_queued"
