"""Officers' decisions in the cleaning queue as labels of the next run's calibration.

The run's own labels (``match_calibration``) are made from records linked by their ID
number; an officer's decision is a label of exactly the cases the run could not settle.
A decision labels a (record, citizen) pair: **accept** says the proposed citizen is the
record's, **not in the province** says the record has no citizen among those the run reads
(the proposed one included). "correct" fixes a field and says nothing about the match: not
a label. A decided record keeps its result and is not matched again (``runs``), so its
record — as the file wrote it, not as corrected — is scored beside the run's records, and
its label is whether this run's best candidate is the accepted citizen; how the labels are
weighed beside the run's own is ``match_calibration._decision_weights``.

The decisions are read on behalf of the officer who requested the run, with the run's
checks (``linkage.manage``, the dataset's province) and one audit entry, as the run reads
the registry (``registry.service.citizen_columns_for_matching``).
"""

from __future__ import annotations

import json

import pyarrow as pa
from sqlalchemy.orm import Session

from dancu.common import audit
from dancu.common.access import Actor, Permission
from dancu.linkage import repository as repo
from dancu.linkage.models import LinkageJob
from dancu.linkage.run_inputs import record_key, sector_columns
from dancu.linkage.service import PURPOSE, get_source, require_province

# the decisions that label a match, and what they say about the proposed citizen
LABEL_ACTIONS = {"accept": True, "not_in_province": False}
_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("normalized", pa.string()),
        ("decided_pid", pa.string()),
        ("accepted", pa.bool_()),
    ]
)


def read(session: Session, source_id: int, *, actor: Actor) -> pa.Table:
    """The dataset's records an officer accepted a citizen for or set aside as not in the
    province (their last such decision): ``id``, ``normalized`` (JSON text), ``decided_pid``,
    ``accepted``. Needs ``linkage.manage`` in the dataset's province; audited."""
    actor.require(Permission.LINKAGE_MANAGE)
    source = get_source(session, source_id, actor=actor)
    require_province(actor, source.province_code)
    rows = repo.last_decisions_of_source(session, source.id, tuple(LABEL_ACTIONS))
    table = pa.table(
        {
            "id": [r[0] for r in rows],
            "normalized": [r[1] if isinstance(r[1], str) else json.dumps(r[1]) for r in rows],
            "decided_pid": [r[3] for r in rows],
            "accepted": [LABEL_ACTIONS[r[2]] for r in rows],
        },
        schema=_SCHEMA,
    )
    audit.record(
        session,
        actor,
        action="linkage.decisions_read",
        subject_type="linkage_source",
        subject_id=str(source.id),
        purpose=PURPOSE,
        fields=("record_id", "action", "citizen_pid", f"count={table.num_rows}"),
    )
    return table


def for_run(session: Session, job: LinkageJob) -> pa.Table | None:
    """The labels of a run's calibration from its dataset's decisions
    (:func:`read`), as the matcher's sector columns plus ``decided_pid`` and
    ``accepted`` (``match.link(decisions=...)``), read on behalf of the officer who
    requested the run; None when there is none."""
    table = read(session, job.source_id, actor=Actor.from_dict(job.actor))
    if table.num_rows == 0:
        return None
    records = sector_columns(table.select(["id", "normalized"]))
    truth = pa.table(
        {
            "record_key": [record_key(i) for i in table.column("id").to_pylist()],
            "decided_pid": table.column("decided_pid"),
            "accepted": table.column("accepted"),
        }
    )
    return records.join(truth, "record_key")
