"""TLS on the gRPC port, and mutual TLS: callers identified by their client certificate.

With HAWIYA_TLS_CERT and HAWIYA_TLS_KEY the port speaks TLS only. With HAWIYA_TLS_CLIENT_CA as
well, every client must present a certificate signed by that CA; the interceptor maps its subject
to the caller whose ``tls_subject`` it is (a call may still present an API key instead, which
wins). Without these settings the port is plaintext: put a TLS-terminating proxy in front.
"""

from __future__ import annotations

from pathlib import Path

import grpc

from server.config import Config
from server.errors import ConfigError

__all__ = ["server_credentials"]


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(variable, f"cannot read {path}: {exc.strerror}") from None


def server_credentials(config: Config) -> grpc.ServerCredentials | None:
    """The port's credentials, or None for plaintext."""
    if config.tls_cert is None or config.tls_key is None:
        return None
    key = _read(config.tls_key, "HAWIYA_TLS_KEY")
    chain = _read(config.tls_cert, "HAWIYA_TLS_CERT")
    client_ca = _read(config.tls_client_ca, "HAWIYA_TLS_CLIENT_CA") if config.tls_client_ca else None
    return grpc.ssl_server_credentials(
        [(key, chain)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )
