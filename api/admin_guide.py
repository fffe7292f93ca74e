"""Admin API for the public guide: read the form's content and history, publish a version.

Routes on the admin blueprint (api/admin.py), so its guards apply: a signed-in admin, CSRF,
checked before any input is parsed.
"""
from __future__ import annotations

from api.admin import ERRORS, blp, commit
from backend.auth import SESSION_SECURITY, current_user
from backend.guide import service as guide
from backend.guide.schemas import GuideEditable, GuideEditArgs, GuideEditQuery


@blp.route("/guide")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(GuideEditQuery, location="query")
@blp.response(200, GuideEditable)
@blp.errors({**ERRORS, 404: "guide_version_not_found"})
def guide_read(args):
    """The public guide's current content (or an older version's) with every version."""
    return guide.editable_guide(actor=current_user(), version=args.get("version"))


@blp.route("/guide", methods=["PUT"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(GuideEditArgs)
@blp.response(200, GuideEditable)
@blp.errors({**ERRORS, 409: "version_conflict (details.current_version)",
             422: "validation_error (details by section and language)"})
def guide_publish(args):
    """Publish an edit of the public guide as its next version (audited as guide.publish);
    the app and the public page show it at once."""
    return commit(guide.publish_guide(actor=current_user(), **args))
