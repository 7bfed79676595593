"""The OpenAPI schema, the offline Swagger UI, and the API checked against its own schema
by schemathesis over real HTTP."""

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import EncoderFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_MODE = 10


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


def test_api_answers_generated_requests_without_5xx_and_as_documented(
    live_server, settings, api_key
):
    """schemathesis generates valid and invalid requests for every operation from the
    live schema (a bounded number each) and checks every answer: never a 5xx, and a body
    that matches the schema for its status. (Its pytest loader does not run on pytest 9,
    so the operations are driven here through their Hypothesis strategies.)"""
    # given
    settings.API_THROTTLE_RATE = "100000/min"
    EncoderFactory(station=api_key.station)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    headers = {"api-key": api_key.raw_key}
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40

    # when
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                case.call_and_validate(
                    headers=headers, checks=[not_a_server_error, response_schema_conformance]
                )

            try:
                check()
            except (Exception, BaseExceptionGroup) as error:  # report all operations at once
                failures[f"{operation.label} ({mode})"] = str(error)[:2000]

    # then
    assert not failures, "\n\n".join(f"{label}: {error}" for label, error in failures.items())
