"""The OpenAPI 3.1 document of `pol serve`, built from the same JSON Schemas `pol inputs` writes."""

from __future__ import annotations

from typing import Any

from pol import __version__
from pol.api import PolicySet

_MONEY = {
    "type": ["string", "null"],
    "pattern": r"^[0-9]+\.[0-9]{2}$",
    "description": "元, exact to the fen, as a decimal string",
}
_DATE = {"type": "string", "format": "date"}

# The shapes of what the service answers, shared by every policy.
COMPONENTS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "What is wrong with a request: one entry per field, worded as the command line words it.",
        "required": ["detail", "errors"],
        "properties": {
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {
                        "field": {
                            "type": ["string", "null"],
                            "description": "the field's path in the request, null for the whole",
                        },
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "Status": {
        "type": "string",
        "enum": [
            "granted",
            "discretionary",
            "case_by_case",
            "needs_facts",
            "not_eligible",
            "expired",
            "not_yet_effective",
        ],
    },
    "ClauseResult": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "article": {"type": ["string", "null"]},
            "title": {"type": ["string", "null"]},
            "status": {"$ref": "#/components/schemas/Status"},
            "amount": _MONEY,
            "max_amount": _MONEY,
            "min_amount": _MONEY,
            "beneficiary": {"type": ["string", "null"]},
            "parties": {"type": "array", "items": {"type": "string"}},
            "support": {"type": ["string", "null"]},
            "missing": {"type": "array", "items": {"type": "string"}},
            "explanation": {"type": "array", "items": {"type": "string"}, "description": "每一步的中文说明"},
        },
    },
    "Evaluation": {
        "type": "object",
        "properties": {
            "policy": {"type": "string"},
            "title": {"type": "string"},
            "as_of": _DATE,
            "clauses": {"type": "array", "items": {"$ref": "#/components/schemas/ClauseResult"}},
            "totals": {
                "type": "object",
                "properties": {
                    "determined": _MONEY,
                    "maximum": _MONEY,
                    "in_kind": {"type": "object", "additionalProperties": _MONEY},
                    "explanation": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "Clause": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "article": {"type": ["string", "null"]},
            "title": {"type": ["string", "null"]},
            "beneficiary": {"type": ["string", "null"]},
            "support": {"type": ["string", "null"]},
        },
    },
    "Policy": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "name": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "string", "description": "现行有效, 已失效（…到期）, 尚未施行 or 征求意见稿, today"},
            "in_force": {"type": "boolean"},
            "effective": {"type": ["string", "null"], "format": "date"},
            "expires": {"type": ["string", "null"], "format": "date"},
            "clauses": {"type": "array", "items": {"$ref": "#/components/schemas/Clause"}},
        },
    },
    "Project": {
        "type": "object",
        "description": "A project compared under several policies, as examples/compare/*.json.",
        "required": ["project", "policies"],
        "properties": {
            "project": {"type": "string"},
            "description": {"type": "string"},
            "as_of": _DATE,
            "facts": {"type": "object"},
            "policies": {"type": "object"},
        },
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    words = {
        404: "no such policy",
        413: "the request is larger than the service reads",
        422: "the request does not fit: every bad field is named",
    }
    return {str(code): {"description": words[code], **_json(_ref("Error"))} for code in codes}


def _embedded(schema: dict[str, Any]) -> dict[str, Any]:
    """A standalone JSON Schema as a component: its $schema goes, the document's dialect applies."""
    return {k: v for k, v in schema.items() if k != "$schema"}


def _rehomed(schema: Any) -> Any:
    """The schema with its references to its own $defs pointed at the components they became."""
    if isinstance(schema, dict):
        return {
            k: (
                f"#/components/schemas/Profile_{v.removeprefix('#/$defs/')}"
                if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/")
                else _rehomed(v)
            )
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rehomed(v) for v in schema]
    return schema


def document(policies: PolicySet) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the loaded policies: one evaluate path per policy, with its facts schema."""
    schemas = dict(COMPONENTS)
    profile = _embedded(policies.profile_schema())
    # The profile schema's definitions become components of their own, and its references follow them.
    for name, definition in profile.pop("$defs", {}).items():
        schemas[f"Profile_{name}"] = _rehomed(definition)
    schemas["Profile"] = _rehomed(profile)
    paths: dict[str, Any] = {
        "/health": {
            "get": {
                "summary": "Whether the service is up, and which policies it has loaded",
                "operationId": "health",
                "responses": {"200": {"description": "up"}},
            }
        },
        "/policies": {
            "get": {
                "summary": "Every loaded policy, with its clauses and today's status",
                "operationId": "listPolicies",
                "responses": {
                    "200": {"description": "the policies", **_json({"type": "array", "items": _ref("Policy")})}
                },
            }
        },
        "/match": {
            "post": {
                "summary": "Every clause in force that an enterprise may qualify for (免申即享 matching), as `pol match`",
                "operationId": "match",
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["profile"],
                            "properties": {"profile": _ref("Profile"), "as_of": _DATE, "item": {"type": "string"}},
                        }
                    ),
                },
                "responses": {"200": {"description": "the matches", **_json({"type": "object"})}, **_errors(413, 422)},
            }
        },
        "/eval-profile": {
            "post": {
                "summary": "An enterprise's ledger over the years, with the combination rules, as `pol eval-profile`",
                "operationId": "evaluateProfile",
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["profile"],
                            "properties": {"profile": _ref("Profile"), "as_of": _DATE},
                        }
                    ),
                },
                "responses": {"200": {"description": "the ledger", **_json({"type": "object"})}, **_errors(413, 422)},
            }
        },
        "/compare": {
            "post": {
                "summary": "One project under several policies, side by side, as `pol compare`",
                "operationId": "compare",
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["project"],
                            "properties": {"project": _ref("Project"), "as_of": _DATE},
                        }
                    ),
                },
                "responses": {
                    "200": {"description": "the comparison", **_json({"type": "object"})},
                    **_errors(413, 422),
                },
            }
        },
    }
    for key, policy in policies.items():
        facts = f"Facts_{key}"
        schemas[facts] = _embedded(policy.schema())
        clause_ids = [c.id for c in policy.clauses]
        paths[f"/policies/{key}"] = {
            "get": {
                "summary": f"{policy.title}: its clauses and today's status",
                "operationId": f"getPolicy_{key}",
                "tags": [key],
                "responses": {"200": {"description": "the policy", **_json(_ref("Policy"))}},
            }
        }
        paths[f"/policies/{key}/schema"] = {
            "get": {
                "summary": f"The JSON Schema of the facts {policy.title} reads",
                "operationId": f"getSchema_{key}",
                "tags": [key],
                "responses": {"200": {"description": "a JSON Schema (draft 2020-12)", **_json({"type": "object"})}},
            }
        }
        paths[f"/policies/{key}/evaluate"] = {
            "post": {
                "summary": f"Evaluate an applicant's facts under {policy.title}",
                "operationId": f"evaluate_{key}",
                "tags": [key],
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["facts"],
                            "additionalProperties": False,
                            "properties": {
                                "facts": _ref(facts),
                                "clauses": {
                                    "type": "array",
                                    "items": {"type": "string", **({"enum": clause_ids} if clause_ids else {})},
                                    "description": "the clauses to evaluate, by id; all when absent",
                                },
                                "as_of": {**_DATE, "description": "the evaluation date; today when absent"},
                            },
                        }
                    ),
                },
                "responses": {
                    "200": {"description": "every clause's result and the totals", **_json(_ref("Evaluation"))},
                    **_errors(413, 422),
                },
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pol",
            "version": __version__,
            "description": "Subsidy policies evaluated exactly, with an explanation of every amount. "
            "Amounts are decimal strings in 元, exact to the fen.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {"schemas": schemas},
    }
