"""Channels: reports taken at a unit's post, and the place as the reporter named it.

reports.source already holds the channel (app, call); the vocabulary grows to app, sms,
sms_text, call, post (backend/reports/models.py CHANNELS) — all fit its 8 characters, so the
column is unchanged. New, all nullable (no back-fill: older reports have none of them):

- taken_by_unit_id (FK units): the unit whose post took a report of channel `post`;
- taken_via: how the emergency reached that post, `phone` or `walk_in`;
- place_said: the place as the reporter named it (a desa name typed at a post), verbatim.

Revision ID: 0010_channels
Revises: 0008_evaluations
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_channels"
down_revision = "0008_evaluations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("place_said", sa.String(200)))
        batch.add_column(sa.Column("taken_by_unit_id", sa.Integer()))
        batch.add_column(sa.Column("taken_via", sa.String(8)))
        batch.create_foreign_key("fk_reports_taken_by_unit_id_units", "units",
                                 ["taken_by_unit_id"], ["id"])


def downgrade():
    with op.batch_alter_table("reports") as batch:
        batch.drop_constraint("fk_reports_taken_by_unit_id_units", type_="foreignkey")
        batch.drop_column("taken_via")
        batch.drop_column("taken_by_unit_id")
        batch.drop_column("place_said")
