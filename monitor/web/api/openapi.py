"""The OpenAPI 3.1 document, built from the routes as they are declared (never written twice).

`Api.operation` registers a Flask view on a blueprint and records its path, roles,
request body schema and response schema; the same schema checks the request body.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, g, request
from jsonschema import Draft202012Validator

from ...errors import BadRequest, Forbidden, Unauthenticated
from . import schemas

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
ALL_ROLES = ("nurse", "clinician", "admin")
MAX_ID = schemas.MAX_ID  # the app's `int` converter matches no larger id (404)


def openapi_path(rule: str) -> str:
    return CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule)


class Api:
    """A blueprint plus the document that describes it."""

    def __init__(self, blueprint: Blueprint, prefix: str):
        self.blueprint, self.prefix = blueprint, prefix
        self.paths: dict[str, dict] = {}

    def operation(self, rule: str, method: str, *, summary: str, roles=ALL_ROLES, body: dict | None = None,
                  response: dict | None = None, status: int = 200, query: dict | None = None,
                  errors: tuple[int, ...] = (), content_type: str = "application/json",
                  public: bool = False, raw_body: bool = False) -> Callable:
        """Declare one API operation; the view receives `body` when a JSON body is declared."""

        def decorate(view: Callable) -> Callable:
            validator = Draft202012Validator(body) if body and not raw_body else None

            @wraps(view)
            def handler(**kwargs):
                if not public and g.get("user") is None:
                    raise Unauthenticated("sign in or send a bearer token")
                if not public and g.user["role"] not in roles:
                    raise Forbidden(f"a {g.user['role']} may not do this")
                if validator is not None:
                    kwargs["body"] = checked_body(validator)
                return view(**kwargs)

            endpoint = f"{method.lower()}_{view.__name__}"
            self.blueprint.add_url_rule(rule, endpoint, handler, methods=[method])
            self.describe(rule, method, summary=summary, roles=roles, body=body, response=response,
                          status=status, query=query or {}, errors=errors, content_type=content_type,
                          public=public, endpoint=endpoint)
            return handler

        return decorate

    def describe(self, rule, method, *, summary, roles, body, response, status, query, errors, content_type,
                 public, endpoint) -> None:
        path = openapi_path(self.prefix + rule)
        parameters = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID} if conv == "int" else {"type": "string"}}
            for conv, name in CONVERTER.findall(rule)
        ] + [
            {"name": name, "in": "query", "required": False, "schema": schema}
            for name, schema in query.items()
        ]
        answers = {str(status): {"description": "success",
                                 "content": {content_type: {"schema": response or {}}}}}
        codes = set(errors) | ({400, 422} if body else set()) | ({401, 403} if not public else set())
        codes |= ({404} if "<" in rule else set()) | ({400} if query else set())  # no such record; bad query
        codes |= {503} if not public else set()  # the database cannot be written or read just now
        for code in sorted(codes):
            answers[str(code)] = {"description": schemas.ERROR_TEXT[code],
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        op = {"operationId": endpoint, "summary": summary, "parameters": parameters, "responses": answers,
              "x-roles": list(roles) if not public else []}
        if not public:
            op["security"] = [{"bearer": []}, {"cookie": []}]
        else:
            op["security"] = []
        if body:
            media = "multipart/form-data" if body.get("x-multipart") else "application/json"
            op["requestBody"] = {"required": True, "content": {media: {"schema": body}}}
        self.paths.setdefault(path, {})[method.lower()] = op

    def document(self, version: str) -> dict:
        return {
            "openapi": "3.1.0",
            "info": {"title": "Infusion Monitor API", "version": version,
                     "description": "Session records, vitals, alerts and the event log of a ketamine clinic."},
            "servers": [{"url": "/"}],
            "paths": self.paths,
            "components": {
                "schemas": schemas.COMPONENTS,
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "cookie": {"type": "apiKey", "in": "cookie", "name": "monitor_session"},
                },
            },
        }


def checked_body(validator: Draft202012Validator):
    """The request's JSON, or 400 naming every field that does not fit the schema."""
    payload = request.get_json(silent=True)
    if payload is None and not request.is_json:
        raise BadRequest("send a JSON body with Content-Type: application/json")
    if payload is None:
        raise BadRequest("the body is not valid JSON")
    problems = {}
    for error in validator.iter_errors(payload):
        field = ".".join(str(p) for p in error.absolute_path) or "body"
        if error.validator == "additionalProperties":
            for name in error.instance:
                if name not in (error.schema.get("properties") or {}):
                    problems[f"{field}.{name}" if field != "body" else name] = "unknown field"
            continue
        if error.validator == "required":
            name = error.message.split("'")[1]
            problems[f"{field}.{name}" if field != "body" else name] = "is required"
            continue
        plain = error.validator in ("anyOf", "oneOf") and error.schema.get("description")
        problems.setdefault(field, f"must be {plain}" if plain else error.message)
    if problems:
        raise BadRequest("the request does not fit: " + "; ".join(f"{k} {v}" for k, v in problems.items()),
                         problems)
    return payload
