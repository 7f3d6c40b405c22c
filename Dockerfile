# The hub's executables (hub-workers, hub-admin) built from this repository.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka-dev libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product hub-workers && swift build -c release --product hub-admin \
    && mkdir -p /out && cp "$(swift build -c release --show-bin-path)"/hub-workers "$(swift build -c release --show-bin-path)"/hub-admin /out/

FROM swift:6.1-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka1 libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 hub
COPY --from=build /out/ /usr/local/bin/
USER hub
ENTRYPOINT ["hub-workers"]
