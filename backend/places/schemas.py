"""Places as people read them (the `place` object), place search, area lists and imports."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, missing, validate

from backend.schemas import StrictString


class PlaceRead(Schema):
    desa_code = fields.String(allow_none=True, required=True)
    desa = fields.String(allow_none=True, required=True)
    kecamatan_code = fields.String(allow_none=True, required=True)
    kecamatan = fields.String(allow_none=True, required=True)
    label = fields.String(allow_none=True, required=True, metadata={
        "description": "\"Desa Kayu Ara, Kec. Sekayu\" (Kel. … for a kelurahan); "
                       "\"Di luar wilayah kabupaten\" when outside; null without a location."})
    distance_m = fields.Float(allow_none=True, required=True, metadata={
        "description": "0 inside the desa; > 0 when the point lay outside every desa and the "
                       "nearest one within the tolerance was taken."})
    outside = fields.Boolean(required=True, metadata={
        "description": "Located, but outside every desa of the regency (beyond the "
                       "tolerance)."})


class PlaceField(fields.Nested):
    """A `place` object computed from the row (names from the process's area cache)."""

    def __init__(self, resolve, **kwargs):
        super().__init__(PlaceRead, required=True, dump_only=True, **kwargs)
        self.resolve = resolve

    def get_value(self, obj, attr, accessor=None, default=missing):
        return self.resolve(obj)


class PlaceSearchArgs(Schema):
    q = StrictString(required=True, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=10, validate=validate.Range(1, 50))


class PlaceHit(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"enum": ["kecamatan", "desa"]})
    label = fields.String(required=True)
    kecamatan_code = fields.String(allow_none=True, required=True)
    kecamatan = fields.String(allow_none=True, required=True)
    label_lat = fields.Float(allow_none=True, required=True)
    label_lon = fields.Float(allow_none=True, required=True)
    score = fields.Float(required=True, metadata={"description": "0-100, higher is closer."})


class PlaceSearch(Schema):
    places = fields.List(fields.Nested(PlaceHit), required=True)


class AreasGeoJSONArgs(Schema):
    level = StrictString(load_default="desa", validate=validate.OneOf(["kecamatan", "desa"]))


class AreaProperties(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True)
    parent_code = fields.String(allow_none=True, required=True)
    label_lat = fields.Float(allow_none=True, required=True)
    label_lon = fields.Float(allow_none=True, required=True)


class AreaFeature(Schema):
    type = fields.String(required=True, metadata={"enum": ["Feature"]})
    properties = fields.Nested(AreaProperties, required=True)
    geometry = fields.Dict(allow_none=True, required=True, metadata={
        "description": "GeoJSON Polygon or MultiPolygon, WGS84 [lon, lat]."})


class AreasGeoJSON(Schema):
    type = fields.String(required=True, metadata={"enum": ["FeatureCollection"]})
    features = fields.List(fields.Nested(AreaFeature), required=True)


class AreaRead(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"enum": ["regency", "kecamatan", "desa"]})
    parent_code = fields.String(allow_none=True, required=True)
    label_lat = fields.Float(allow_none=True, required=True)
    label_lon = fields.Float(allow_none=True, required=True)
    has_polygon = fields.Boolean(required=True)
    updated_at = fields.AwareDateTime(required=True)
    desa_count = fields.Integer(allow_none=True, required=True, metadata={
        "description": "Desa/kelurahan in this kecamatan (or regency); null for a desa."})
    reports = fields.Integer(allow_none=True, required=True, metadata={
        "description": "Reports placed in this desa or kecamatan."})


class AreaList(Schema):
    areas = fields.List(fields.Nested(AreaRead), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class AreaImportArgs(Schema):
    """A GeoJSON FeatureCollection; each feature's properties: code, name, level,
    parent_code (optional), centroid_lat/centroid_lon or label_lat/label_lon (optional)."""

    class Meta:
        unknown = EXCLUDE  # GeoJSON allows members such as bbox, crs, name

    type = StrictString(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1))


class AreaImportResult(Schema):
    regency = fields.String(required=True)
    inserted = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
