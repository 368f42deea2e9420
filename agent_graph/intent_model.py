"""Classifier over resolution examples: embeddings + TF-IDF into a softmax head, refit cheaply."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize

from agent_graph.embeddings import Embedder
from agent_graph.lexical import Tfidf


@dataclass(frozen=True)
class Example:
    """A past question and the label (resolution) a human used for it."""

    id: Hashable
    text: str
    label: str


@dataclass(frozen=True)
class LabelScore:
    """One candidate label for a query: calibrated probability plus nearest-example evidence."""

    label: str
    probability: float
    similarity: float  # cosine to the closest example of this label
    example_id: Hashable


def fit_softmax(
    x: sp.csr_matrix, y: np.ndarray, n_classes: int, *, l2: float, w0=None, max_iter: int = 300
) -> tuple[np.ndarray, int]:
    """Multinomial logistic regression by L-BFGS; returns weights [(d + 1), C] (bias last row)."""
    n, d = x.shape
    xt = x.T.tocsr()  # transposed once: scipy's csr @ dense is much faster than csr.T @ dense
    onehot = np.zeros((n, n_classes), np.float32)
    onehot[np.arange(n), y] = 1.0

    def loss_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
        weights = w.reshape(d + 1, n_classes).astype(np.float32)
        probs = _softmax(x @ weights[:-1] + weights[-1])
        loss = -np.log(probs[np.arange(n), y] + 1e-12).mean()
        loss += 0.5 * l2 * float((weights[:-1] ** 2).sum())
        g = (probs - onehot) / n
        grad = np.vstack([xt @ g + l2 * weights[:-1], g.sum(0, keepdims=True)])
        return float(loss), grad.ravel().astype(np.float64)

    start = np.zeros((d + 1) * n_classes) if w0 is None else np.asarray(w0, np.float64).ravel()
    res = minimize(loss_grad, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return res.x.reshape(d + 1, n_classes).astype(np.float32), int(res.nit)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float32)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class IntentModel:
    """Fit on examples, add/remove examples later, predict top labels per query.

    Features are the sentence embedding next to word/char TF-IDF; the head is a softmax
    regression. `add`/`remove` keep the TF-IDF vocabulary and warm-start the head from the last
    weights, so an admin approving one example costs a few L-BFGS steps, not a full refit.
    Embeddings come from the embedder (wrap it in `CachedEmbedder` to skip known texts).
    """

    def __init__(self, embedder: Embedder, *, l2: float = 3e-5, max_iter: int = 300) -> None:
        self.embedder = embedder
        self.l2 = l2
        self.max_iter = max_iter
        self.examples: dict[Hashable, Example] = {}
        self._vecs: dict[Hashable, np.ndarray] = {}
        self._tfidf = Tfidf()
        self._weights: np.ndarray | None = None
        self.labels: list[str] = []
        self._lock = threading.RLock()
        self.last_fit: dict[str, float] = {}

    def fit(self, examples: Sequence[Example]) -> dict[str, float]:
        """Replace all examples and refit from scratch (new TF-IDF vocabulary)."""
        with self._lock:
            self.examples = {}
            self._vecs = {}
            self._weights = None
            self._store(examples)
            self._tfidf = Tfidf().fit([e.text for e in self.examples.values()])
            return self._refit()

    def add(self, examples: Sequence[Example]) -> dict[str, float]:
        """Add or replace examples and refit the head from the current weights."""
        with self._lock:
            self._store(examples)
            return self._refit()

    def remove(self, ids: Sequence[Hashable]) -> dict[str, float]:
        with self._lock:
            for item_id in ids:
                self.examples.pop(item_id, None)
                self._vecs.pop(item_id, None)
            return self._refit()

    def _store(self, examples: Sequence[Example]) -> None:
        new = [e for e in examples if self._vecs.get(e.id) is None or self.examples[e.id] != e]
        vecs = self.embedder.embed([e.text for e in new]) if new else []
        for example, vec in zip(new, vecs, strict=True):
            self.examples[example.id] = example
            self._vecs[example.id] = vec

    def _refit(self) -> dict[str, float]:
        started = time.perf_counter()
        ids = list(self.examples)
        labels = sorted({self.examples[i].label for i in ids})
        if not labels:
            self._weights, self.labels = None, []
            return {}
        code = {lab: j for j, lab in enumerate(labels)}
        y = np.array([code[self.examples[i].label] for i in ids])
        x = self._features([self.examples[i].text for i in ids], [self._vecs[i] for i in ids])
        w0 = self._warm_start(labels, x.shape[1])
        self._weights, iters = fit_softmax(
            x, y, len(labels), l2=self.l2, w0=w0, max_iter=self.max_iter
        )
        self.labels = labels
        self._index_examples(ids)
        self.last_fit = {"examples": len(ids), "iterations": iters}
        self.last_fit["seconds"] = round(time.perf_counter() - started, 3)
        return self.last_fit

    def _warm_start(self, labels: list[str], d: int) -> np.ndarray | None:
        """Old weights re-ordered to the new label list (new labels start at zero)."""
        if self._weights is None or self._weights.shape[0] != d + 1:
            return None
        w0 = np.zeros((d + 1, len(labels)), np.float32)
        old = {lab: j for j, lab in enumerate(self.labels)}
        for j, lab in enumerate(labels):
            if lab in old:
                w0[:, j] = self._weights[:, old[lab]]
        return w0

    def _features(self, texts: Sequence[str], vecs) -> sp.csr_matrix:
        emb = sp.csr_matrix(np.asarray(vecs, np.float32).reshape(len(texts), -1))
        return sp.hstack([emb, self._tfidf.transform(texts)], format="csr")

    def _index_examples(self, ids: list[Hashable]) -> None:
        """Example vectors grouped by label, for per-label nearest-example similarity."""
        label_of = {lab: j for j, lab in enumerate(self.labels)}
        order = sorted(range(len(ids)), key=lambda i: label_of[self.examples[ids[i]].label])
        self._ex_ids = [ids[i] for i in order]
        self._ex_mat = np.stack([self._vecs[ids[i]] for i in order]).astype(np.float32)
        codes = np.array([label_of[self.examples[i].label] for i in self._ex_ids])
        self._starts = np.searchsorted(codes, np.arange(len(self.labels)))

    def predict(
        self, texts: Sequence[str], *, k: int = 5, vectors: np.ndarray | None = None
    ) -> list[list[LabelScore]]:
        """Top-k labels per text, most probable first (`vectors`: embeddings already computed)."""
        vecs = self.embedder.embed(list(texts)) if vectors is None else vectors
        with self._lock:
            if self._weights is None:
                return [[] for _ in texts]
            x = self._features(texts, vecs)
            probs = _softmax(x @ self._weights[:-1] + self._weights[-1])
            sims = vecs @ self._ex_mat.T
            best_sim = np.maximum.reduceat(sims, self._starts, axis=1)
            return [
                self._top(p, s, row, k) for p, s, row in zip(probs, best_sim, sims, strict=True)
            ]

    def _top(self, probs, label_sims, sims, k) -> list[LabelScore]:
        out = []
        for j in np.argsort(-probs)[:k]:
            lo = self._starts[j]
            hi = self._starts[j + 1] if j + 1 < len(self._starts) else len(self._ex_ids)
            nearest = self._ex_ids[lo + int(np.argmax(sims[lo:hi]))]
            out.append(LabelScore(self.labels[j], float(probs[j]), float(label_sims[j]), nearest))
        return out
