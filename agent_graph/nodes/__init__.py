"""Graph nodes, one per file: each takes the state (and the run's context), returns a change."""
