"""Candidate generation for 1:N search and batch dedup: blocking keys and FAISS indexes.

Empty until the candidates issue; it must never import gRPC or SQL.
"""

__all__: list[str] = []
