"""linkage runs keep their calibration: the map from raw to calibrated match probability
fitted on the run's own labels, and its check per band

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 17:20:00

``linkage_job.calibration`` (JSON, null for runs before it and for runs that reach no
probabilistic stage): what ``dancu.linkage.match_calibration.calibrate`` returns — per
stratum the method (isotonic or none, with the reason), the labels, the estimated share of
records not in the registry, the isotonic breakpoints, the held-out share right per band —
and the run's records per band of calibrated probability with their mean raw probability.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("linkage_job") as batch:
        batch.add_column(sa.Column("calibration", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("linkage_job") as batch:
        batch.drop_column("calibration")
