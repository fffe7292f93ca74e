"""Coverage planning (too few posts): the estimated response time per desa from the nearest
post, the desa outside the target, and where one to k new posts would save the most minutes."""
