"""The JSON API: public search and credentials, autocomplete, authoring, and the OpenAPI document."""
