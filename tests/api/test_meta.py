from backend.categories import CATEGORY_CODES


def test_categories_have_indonesian_and_english_labels(client):
    response = client.get("/v1/categories")
    assert response.status_code == 200
    assert "max-age" in response.headers["Cache-Control"]
    categories = response.get_json()["categories"]
    assert [c["code"] for c in categories] == list(CATEGORY_CODES)
    assert len(categories) == 8
    labels = {c["code"]: c["label"] for c in categories}
    assert labels["fire"] == {"id": "Kebakaran", "en": "Fire"}
    assert labels["violence_women_children"]["id"] == "Kekerasan terhadap perempuan dan anak"
    assert all(c["label"]["id"] and c["label"]["en"] for c in categories)


def test_health_names_the_database(client, db_backend):
    body = client.get("/v1/health").get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"sqlite": "sqlite", "postgres": "postgresql"}[db_backend[0]]


def test_unknown_route_and_method_use_the_error_shape(client):
    missing = client.get("/v1/nope")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.get("/v1/sync")
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"


def test_unexpected_exception_is_a_structured_500_without_internals(db_backend):
    from backend import create_app

    app = create_app({"DATABASE_URL": db_backend[1], "PUSH_THREAD": False})

    @app.route("/v1/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/v1/_boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)
