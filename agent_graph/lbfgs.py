"""Limited-memory BFGS over float32 numpy vectors, for the intent classifier's softmax head.

scipy's L-BFGS-B spent over half of a 10,000-example fit in its own bookkeeping (bounds handling
on float64 copies of ~3M weights); this plain two-loop version with a backtracking line search
needs the same number of iterations at a fraction of the cost per step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

LossGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _direction(g: np.ndarray, history: list[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    """-H g by the two-loop recursion over (s, y, 1 / s.y) pairs, oldest first."""
    q = g.copy()
    alphas = []
    for s, y, rho in reversed(history):
        a = rho * float(s @ q)
        alphas.append(a)
        q -= a * y
    if history:
        s, y, _ = history[-1]
        q *= float(s @ y) / float(y @ y)
    else:  # first step: unit length along the gradient, the line search scales it
        q /= max(float(np.linalg.norm(g)), 1e-12)
    for (s, y, rho), a in zip(history, reversed(alphas), strict=True):
        q += (a - rho * float(y @ q)) * s
    return -q


def minimize(
    loss_grad: LossGrad, x0: np.ndarray, *, max_iter: int = 300, memory: int = 10, gtol=1e-5
) -> tuple[np.ndarray, int]:
    """Minimise a smooth function from x0; returns (x, iterations).

    Stops when the largest gradient entry is below `gtol`, when a step no longer lowers the
    loss (float32 resolution), or after `max_iter` steps.
    """
    x = np.asarray(x0, np.float32).copy()
    f, g = loss_grad(x)
    history: list[tuple[np.ndarray, np.ndarray, float]] = []
    it = 0
    while it < max_iter and float(np.abs(g).max()) > gtol:
        it += 1
        d = _direction(g, history)
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction: forget the curvature pairs
            history, d = [], -g
            slope = -float(g @ g)
        step = 1.0
        while True:  # Armijo backtracking
            x_new = x + step * d
            f_new, g_new = loss_grad(x_new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-8:
                break
            step /= 2
        s, y = x_new - x, g_new - g
        if (sy := float(s @ y)) > 1e-10:
            history = [*history[-(memory - 1) :], (s, y, 1.0 / sy)]
        stalled = f - f_new <= 1e-9 * max(abs(f), 1.0)
        x, f, g = x_new, f_new, g_new
        if stalled:
            break
    return x, it
