"""The L-BFGS minimiser against closed-form and scipy answers."""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize as scipy_minimize

from agent_graph import lbfgs
from agent_graph.intent_model import _softmax, fit_softmax


def test_an_ill_conditioned_quadratic_reaches_its_minimum():
    scale = np.logspace(0, 3, 50).astype(np.float32)
    target = np.linspace(-1, 1, 50).astype(np.float32)

    def loss_grad(x):
        diff = x - target
        return 0.5 * float(scale @ diff**2), scale * diff

    x, iters = lbfgs.minimize(loss_grad, np.zeros(50, np.float32), gtol=1e-4)
    np.testing.assert_allclose(x, target, atol=1e-3)
    assert 0 < iters < 300  # converged before the cap


def test_the_softmax_head_matches_scipys_solution():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    dense = (rng.normal(size=(200, 8)) + y[:, None] * 0.5).astype(np.float32)
    sparse = sp.random(200, 30, density=0.1, format="csr", random_state=0, dtype=np.float32)
    w, _ = fit_softmax(dense, sparse, y, 4, l2=1e-2)

    x = np.hstack([dense, sparse.toarray(), np.ones((200, 1), np.float32)])

    def loss(flat):
        weights = flat.reshape(39, 4)
        probs = _softmax(x @ weights)
        reg = 0.5 * 1e-2 * float((weights[:-1] ** 2).sum())
        return -np.log(probs[np.arange(200), y]).mean() + reg

    reference = scipy_minimize(loss, np.zeros(39 * 4), method="L-BFGS-B").fun
    assert loss(w.ravel()) <= reference + 1e-4


def test_a_warm_start_at_the_optimum_stops_at_once():
    def loss_grad(x):
        return 0.5 * float(x @ x), x.copy()

    _, iters = lbfgs.minimize(loss_grad, np.zeros(10, np.float32))
    assert iters == 0
