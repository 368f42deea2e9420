"""VectorIndex: exact cosine top-k with incremental add, overwrite and remove."""

import numpy as np
import pytest

from agent_graph.vector_index import VectorIndex


def _unit(rng, n, dim=16):
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_matches_brute_force():
    rng = np.random.default_rng(0)
    vecs = _unit(rng, 300)
    index = VectorIndex(16, capacity=8)  # forces several reallocations
    index.add([f"d{i}" for i in range(300)], vecs)
    query = _unit(rng, 1)[0]
    expected = np.argsort(-(vecs @ query))[:5]
    hits = index.search(query, k=5)
    assert [h[0] for h in hits] == [f"d{i}" for i in expected]
    assert hits[0][1] == pytest.approx(float(vecs[expected[0]] @ query), abs=1e-5)


def test_remove_keeps_other_rows_findable():
    rng = np.random.default_rng(1)
    vecs = _unit(rng, 50)
    index = VectorIndex(16)
    index.add(list(range(50)), vecs)
    assert index.remove([0, 17, 49, 999]) == 3
    assert len(index) == 47 and 17 not in index
    for i in (1, 16, 18, 48):  # rows moved into holes must still answer for their own id
        assert index.search(vecs[i], k=1)[0][0] == i
    assert all(h[0] != 17 for h in index.search(vecs[17], k=47))


def test_add_same_id_overwrites():
    index = VectorIndex(2)
    index.add(["a", "b"], np.array([[1, 0], [0, 1]], np.float32))
    index.add(["a"], np.array([[0, -1]], np.float32))
    assert len(index) == 2
    assert index.search(np.array([0, -1], np.float32), k=1) == [("a", pytest.approx(1.0))]


def test_empty_index_and_bad_dimension():
    index = VectorIndex(4)
    assert index.search(np.ones(4, np.float32)) == []
    with pytest.raises(ValueError):
        index.add(["x"], np.ones((1, 3), np.float32))
