"""Admin, audit and history console pages: who may open them, and their page modules."""
from __future__ import annotations

import pytest

from tests.helpers import Console

PAGES = {"/console/history": {"operator1": 200, "supervisor": 200, "admin": 200},
         "/console/audit": {"operator1": 403, "supervisor": 200, "admin": 200},
         **{f"/console/admin/{name}": {"operator1": 403, "supervisor": 403, "admin": 200}
            for name in ("agencies", "units", "users", "responders")}}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_open_for_the_right_roles_only(app, staff, path):
    assert app.test_client().get(path).status_code == 302  # strangers go to the login page
    for username, status in PAGES[path].items():
        console = Console(app.test_client(), username)
        response = console.get(path)
        assert response.status_code == status, (username, path)
        if status == 200:
            html = response.get_data(as_text=True)
            script = "admin_" + path.rsplit("/", 1)[1] if "/admin/" in path else \
                path.rsplit("/", 1)[1]
            assert f"js/pages/{script}.js" in html
            assert console.get(f"/console/static/js/pages/{script}.js").status_code == 200


def test_admins_see_the_administration_link_and_english_works(app, staff):
    admin = Console(app.test_client(), "admin")
    page = admin.get("/console/admin/users").get_data(as_text=True)
    assert "Administrasi" in page and "Pengguna konsol" in page and "Riwayat kejadian" in page
    operator = Console(app.test_client(), "operator1")
    assert "Administrasi" not in operator.get("/console/history").get_data(as_text=True)
    admin.get("/console/lang/en")
    english = admin.get("/console/admin/users").get_data(as_text=True)
    assert "Console users" in english and "Administration" in english
