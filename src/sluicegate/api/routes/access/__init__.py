"""Access routes: users, teams and tokens (identity), just-in-time access (jit)."""
