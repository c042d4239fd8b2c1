"""Cached text embeddings keyed by model and text hash: unchanged profiles are not re-encoded."""

from __future__ import annotations

from sqlalchemy import Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from mentormatch_desktop.storage.models.base import Base, bigpk, created_at


class TextEmbedding(Base):
    __tablename__ = "text_embeddings"
    __table_args__ = (Index("uq_text_embeddings_model_hash", "model", "text_hash", unique=True),)

    id: Mapped[bigpk]
    model: Mapped[str] = mapped_column(String(120))
    text_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the normalised text
    dim: Mapped[int] = mapped_column(SmallInteger)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[created_at]
