# syntax=docker/dockerfile:1
# Shopflow's one binary in a small image: `docker run IMAGE api`, `... worker`, `... migrate up`.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, so editing code does not invalidate the module download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# Pure Go (no cgo), so the binary runs on any base image.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/shopflow ./cmd/shopflow

FROM debian:bookworm-slim
# ca-certificates for TLS to Stripe and managed databases; curl for container health checks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin shopflow
COPY --from=build /out/shopflow /usr/local/bin/shopflow
USER 10001:10001
ENV SHOPFLOW_HTTP_ADDR=0.0.0.0:8080 \
    SHOPFLOW_LOG_FORMAT=json
EXPOSE 8080
# No HEALTHCHECK here: the same image runs the worker and migrations, which serve no HTTP.
# docker-compose.yml checks the api container's /readyz.
ENTRYPOINT ["shopflow"]
CMD ["api"]
