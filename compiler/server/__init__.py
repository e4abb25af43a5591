"""`pol serve`: the HTTP JSON API over loaded policies, with its OpenAPI document and reference page."""
