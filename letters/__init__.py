"""Postal letters (R6): page geometry and envelope windows, text from templates, PDF rendering, print batches."""
