"""Indexing: load, chunk, embed and store the sources."""
