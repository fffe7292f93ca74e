"""Places: the regency's kecamatan/desa polygons for the map, and place search."""
from __future__ import annotations

from flask import Response, request

from api.operator import STAFF_ERRORS, blp
from backend.auth import SESSION_SECURITY, current_user
from backend.places.schemas import AreasGeoJSON, AreasGeoJSONArgs, PlaceSearch, PlaceSearchArgs
from backend.places.service import areas_geojson, search_places


@blp.route("/places/areas.geojson")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(AreasGeoJSONArgs, location="query")
@blp.response(200, AreasGeoJSON, content_type="application/geo+json")
@blp.alt_response(304, description="Not modified (If-None-Match matched the ETag).")
@blp.errors(STAFF_ERRORS)
def areas(args):
    """The regency's kecamatan or desa as GeoJSON (ETag; cache a day)."""
    body, etag = areas_geojson(actor=current_user(), level=args["level"])
    headers = {"ETag": etag, "Cache-Control": "private, max-age=86400", "Vary": "Cookie"}
    if etag in request.if_none_match or request.if_none_match.contains_weak(etag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/geo+json", headers=headers)


@blp.route("/places/search")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(PlaceSearchArgs, location="query")
@blp.response(200, PlaceSearch)
@blp.errors(STAFF_ERRORS)
def search(args):
    """Typo-tolerant search of desa/kelurahan and kecamatan by name."""
    return {"places": search_places(actor=current_user(), q=args["q"], limit=args["limit"])}
