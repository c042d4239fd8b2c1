"""Pure domain types: enums, value objects and validation. No SQLAlchemy, no Qt."""
