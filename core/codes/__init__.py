"""Registration codes, the letters that carry them, print batches and the mailroom."""
