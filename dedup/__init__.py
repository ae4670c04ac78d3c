"""The batch deduplication engine (file in; pairs, clusters and a summary out).

Empty until the batch-dedup issue; it must never import gRPC.
"""

__all__: list[str] = []
