"""Flag routes: governed flag sets (sets), OFREP evaluation (ofrep), sync (sync)."""
