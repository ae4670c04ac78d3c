"""The interceptor every hawiya call passes through: caller, request id, metrics, errors.

In order: a request id is set for the log lines; the caller is identified by its API key
(UNAUTHENTICATED) and checked against the RPCs it may call (PERMISSION_DENIED) before the
request is looked at; the handler runs; any exception it raises becomes a status through
:mod:`server.status`. Health checking and reflection are left alone (no key needed).
"""

from __future__ import annotations

import contextvars
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from server.callers import Caller, CallerRegistry
from server.logs import REQUEST_ID
from server.metrics import GRPC_HANDLED, GRPC_HANDLING_SECONDS, GRPC_STARTED, WORKER_CALLS
from server.status import status_for

__all__ = ["CURRENT_CALLER", "HawiyaInterceptor"]

log = logging.getLogger(__name__)

CURRENT_CALLER: contextvars.ContextVar[Caller] = contextvars.ContextVar("caller")
_PACKAGE = "/hawiya.v1."


class HawiyaInterceptor(grpc.ServerInterceptor):
    """Wraps each hawiya unary method once; the wrapped handler is reused for every call."""

    def __init__(self, callers: CallerRegistry) -> None:
        self._callers = callers
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        method: str = handler_call_details.method
        if not method.startswith(_PACKAGE):
            return continuation(handler_call_details)
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            handler = continuation(handler_call_details)
            if handler is None:
                return None
            if handler.unary_unary is not None:
                wrapped = self._wrap_unary(method, handler)
            elif handler.stream_stream is not None:
                wrapped = self._wrap_stream(method, handler)
            else:
                return handler
            self._wrapped[method] = wrapped
        return wrapped

    def _caller(self, context: grpc.ServicerContext, rpc: str) -> Caller:
        """The caller presenting the call's API key, if it may make this call."""
        key = None
        for name, value in context.invocation_metadata():
            if name == "x-api-key":
                key = value
                break
            if name == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
                key = value[7:]
        caller = self._callers.authenticate(key if isinstance(key, str) else None)
        self._callers.authorise(caller, rpc)
        return caller

    def _wrap_unary(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        short, metrics = _method_metrics(method, "unary")
        started, seconds, handled = metrics
        behaviour = handler.unary_unary
        identify = self._caller

        def serve(request: Any, context: grpc.ServicerContext) -> Any:
            begin = time.perf_counter()
            started.inc()
            WORKER_CALLS.inc()
            request_token = REQUEST_ID.set(uuid.uuid4().hex[:16])
            failure: grpc.Status | None = None
            try:
                caller_token = CURRENT_CALLER.set(identify(context, short))
                try:
                    response = behaviour(request, context)
                finally:
                    CURRENT_CALLER.reset(caller_token)
            except Exception as exc:
                failure, unexpected = status_for(exc)
                if unexpected:
                    log.exception("unexpected error in %s", short)
            finally:
                REQUEST_ID.reset(request_token)
                seconds.observe(time.perf_counter() - begin)
            if failure is not None:
                handled[failure.code].inc()
                context.abort_with_status(failure)
            handled[grpc.StatusCode.OK].inc()
            return response

        return grpc.unary_unary_rpc_method_handler(
            serve,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _wrap_stream(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        short, metrics = _method_metrics(method, "bidi_stream")
        started, seconds, handled = metrics
        behaviour = handler.stream_stream
        identify = self._caller

        def serve(request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
            begin = time.perf_counter()
            started.inc()
            WORKER_CALLS.inc()
            request_token = REQUEST_ID.set(uuid.uuid4().hex[:16])
            failure: grpc.Status | None = None
            try:
                caller_token = CURRENT_CALLER.set(identify(context, short))
                try:
                    yield from behaviour(request_iterator, context)
                finally:
                    CURRENT_CALLER.reset(caller_token)
            except Exception as exc:
                failure, unexpected = status_for(exc)
                if unexpected:
                    log.exception("unexpected error in %s", short)
            except GeneratorExit:  # gRPC closes the stream: the client cancelled or the deadline passed
                code = grpc.StatusCode.DEADLINE_EXCEEDED if context.time_remaining() <= 0 else grpc.StatusCode.CANCELLED
                handled[code].inc()
                raise
            finally:
                REQUEST_ID.reset(request_token)
                seconds.observe(time.perf_counter() - begin)
            if failure is not None:
                handled[failure.code].inc()
                context.abort_with_status(failure)
            handled[grpc.StatusCode.OK].inc()

        return grpc.stream_stream_rpc_method_handler(
            serve,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _method_metrics(method: str, kind: str) -> tuple[str, tuple[Any, Any, dict[grpc.StatusCode, Any]]]:
    """The short name ("Service/Method") and the metric children of one method."""
    service, rpc = method[len(_PACKAGE) :].split("/", 1)
    labels = (kind, f"hawiya.v1.{service}", rpc)
    handled = {code: GRPC_HANDLED.labels(*labels, code.name) for code in grpc.StatusCode}
    return f"{service}/{rpc}", (GRPC_STARTED.labels(*labels), GRPC_HANDLING_SECONDS.labels(*labels), handled)
