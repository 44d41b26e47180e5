"""Use cases over ports (unit of work, repositories, clock, ids, signer)."""
