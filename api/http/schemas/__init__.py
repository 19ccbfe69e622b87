"""Request and response bodies of the HTTP API (pydantic), with their OpenAPI examples."""
