"""The hawiya gRPC service and the ``hawiya`` command line.

Servicers convert protobuf ↔ domain; domain services (authentication, enrolment) do the work
with ``matcher`` and ``registry_store``; one interceptor identifies callers and maps errors to
status codes (:mod:`server.status`).
"""

__all__: list[str] = []
