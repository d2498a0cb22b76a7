"""Cross-cutting pieces: the model base, time, errors, auth helpers, the outbox, URLs."""
