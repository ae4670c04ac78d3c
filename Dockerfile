# hawiya: multi-stage image; the runtime stage has no compiler and runs as a non-root user.
# Build: docker build -t hawiya .   Run: docker run -p 50051:50051 -p 9464:9464 hawiya serve --demo
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml constraints.txt README.md ./
COPY proto ./proto
COPY server ./server
COPY matcher ./matcher
COPY indexer ./indexer
COPY registry_store ./registry_store
COPY dedup ./dedup
COPY synthetic ./synthetic
RUN python -m venv /opt/hawiya \
 && /opt/hawiya/bin/pip install --upgrade "pip>=24" \
 && /opt/hawiya/bin/pip install -c constraints.txt .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/hawiya hawiya
COPY --from=build /opt/hawiya /opt/hawiya
ENV PATH=/opt/hawiya/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HAWIYA_HOST=0.0.0.0 \
    HAWIYA_PORT=50051 \
    HAWIYA_METRICS_PORT=9464 \
    HAWIYA_DATA_DIR=/var/lib/hawiya
USER hawiya
WORKDIR /var/lib/hawiya
VOLUME ["/var/lib/hawiya"]
EXPOSE 50051 9464
# The gRPC health service (grpc.health.v1.Health/Check on ""), not just an open port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD hawiya client health --target "127.0.0.1:${HAWIYA_PORT}" --timeout 3 || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["hawiya"]
CMD ["serve"]
