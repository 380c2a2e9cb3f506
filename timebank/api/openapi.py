"""The OpenAPI document: problem-details error responses on every operation, the security
schemes, and each operation's row of the permission table (``x-permission``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from timebank.api.problems import MEDIA, Problem
from timebank.auth.permissions import PERMISSIONS

ERRORS = {
    "400": "Malformed request",
    "401": "Not signed in, or the token expired or was revoked",
    "403": "Your role or scope does not allow this",
    "404": "No such resource (or not one you may see)",
    "409": "A rule or the current state refuses the act",
    "413": "Request body too large",
    "422": "Invalid input; `errors` names each field",
    "429": "Too many requests; see Retry-After",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def build(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in problem_schema.pop("$defs", {}).items():
        schemas[name] = sub
    schemas["Problem"] = problem_schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "POST /auth/token"},
        "session": {"type": "apiKey", "in": "cookie", "name": "tb_session"},
    }
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            rule = PERMISSIONS.get(operation["operationId"])
            responses = operation.setdefault("responses", {})
            for status, text in ERRORS.items():
                responses[status] = {
                    "description": text,
                    "content": {MEDIA: {"schema": PROBLEM_REF}},
                }
            if rule is not None:
                operation["x-permission"] = {
                    "roles": sorted(r.value for r in rule.roles),
                    "scope": rule.scope,
                }
                if not rule.public:
                    operation["security"] = [{"bearer": []}, {"session": []}]
    app.openapi_schema = doc
    return doc
