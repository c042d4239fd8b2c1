"""Persistence: SQLAlchemy 2 typed models, engines and sessions, Alembic migrations."""
