"""The desa lookup as a PL/pgSQL function that runs its query on a generic plan (PostgreSQL).

Every SOS is placed in its desa by one statement (backend/places/service.py `locate`). Run as
a prepared statement, PostgreSQL kept choosing custom plans for it — re-planned on every
execution: 0.22 ms of planning for 0.09 ms of work, 0.33 ms of the server's CPU per SOS.
The same query inside `locate_points()`, whose `SET plan_cache_mode = force_generic_plan`
applies to it alone, is planned once per connection: 0.10 ms for one point, no worse for 20
or 100 (measured, docs/bench-hotpath.md). The generic plan uses the GiST index
(`tests/backend/test_places.py` checks the plan of this very body).

`regency_id + 0` and `level || ''` keep the planner off ix_areas_regency_level: with one
regency that index matches every desa and ST_Covers would run on all of them per point; the
GiST index on geom finds the one or two candidates whatever the table holds.

SQLite (the embedded profile) locates with shapely in the process: nothing to do there.

Revision ID: 0016_locate_points
Revises: 0015_citus
Create Date: 2026-11-29
"""
from alembic import op

revision = "0016_locate_points"
down_revision = "0015_citus"
branch_labels = None
depends_on = None

# The points are numbered from 1 in the order given; a point in no desa takes the nearest
# desa within p_tol metres (great-circle), or none; has_desa says whether the regency has
# any desa at all (areas not imported: nothing can be located).
LOCATE_POINTS = """
CREATE FUNCTION locate_points(p_regency integer, p_lats float8[], p_lons float8[],
                              p_tol float8)
RETURNS TABLE (i bigint, code text, name text, parent_code text, kecamatan text, d float8,
               has_desa boolean)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $body$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH pts AS (
  SELECT t.i, t.lat, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS g
  FROM unnest(p_lats, p_lons) WITH ORDINALITY AS t(lat, lon, i)
)
SELECT pts.i, hit.code::text, hit.name::text, hit.parent_code::text, k.name::text, hit.d,
       (SELECT EXISTS (SELECT 1 FROM areas WHERE regency_id = p_regency AND level = 'desa'))
FROM pts
LEFT JOIN LATERAL (
  (SELECT a.code, a.name, a.parent_code, 0.0::float8 AS d FROM areas a
   WHERE ST_Covers(a.geom, pts.g) AND a.regency_id + 0 = p_regency AND a.level || '' = 'desa'
   ORDER BY a.code LIMIT 1)
  UNION ALL
  (SELECT a.code, a.name, a.parent_code,
          ST_Distance(a.geom::geography, pts.g::geography, false) AS d FROM areas a
   WHERE a.regency_id + 0 = p_regency AND a.level || '' = 'desa'
     AND a.geom && ST_Expand(pts.g, p_tol / 110000.0 / greatest(cos(radians(pts.lat)), 0.05))
     AND ST_DWithin(a.geom::geography, pts.g::geography, p_tol, false)
   ORDER BY d, a.code LIMIT 1)
  LIMIT 1
) hit ON true
LEFT JOIN areas k ON k.code = hit.parent_code
ORDER BY pts.i;
END
$body$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(LOCATE_POINTS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS locate_points(integer, float8[], float8[], float8)")
