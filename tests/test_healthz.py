"""The liveness check reports the database."""

from lms.extensions import db


def test_healthz_is_200_with_the_database_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable(make_app, tmp_path):
    unreachable = "sqlite:///" + str(tmp_path / "missing-folder" / "none.db")
    app = make_app(SQLALCHEMY_DATABASE_URI=unreachable)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    with app.app_context():
        db.engine.dispose()
