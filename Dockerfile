# The hub's executables (hub-workers, hub-admin) built from this repository with Swift 6.3,
# the version the project is developed with (the dependencies need swift-tools 6.2 or later).
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
# The manifest declares the test targets, so their folders must exist to resolve it.
COPY Tests ./Tests
RUN swift build -c release --product hub-workers && swift build -c release --product hub-admin \
    && mkdir -p /out && cp "$(swift build -c release --show-bin-path)"/hub-workers "$(swift build -c release --show-bin-path)"/hub-admin /out/

# The slim image holds the Swift runtime libraries on Debian 12, with bash (the compose file's
# health check of the workers uses bash's /dev/tcp: there is no curl).
FROM swift:6.3-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka1 libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 hub
COPY --from=build /out/ /usr/local/bin/
COPY LICENSE /usr/share/doc/clsm-hub/LICENSE
# In a container, /metrics and /health must answer on the container's address, not only on
# its loopback (the workers' default); publish the port to reach them.
ENV HUB_METRICS_HOST=0.0.0.0 HUB_METRICS_PORT=9464
EXPOSE 9464
USER hub
ENTRYPOINT ["hub-workers"]
