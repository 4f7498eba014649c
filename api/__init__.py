"""The public REST API (`/api/v1/`): tokens, limits, idempotency, and routes over the apps' own services."""
