# keepvip container image.
#
#   docker build -t keepvip/keepvip:0.1.0 .
#   docker run -d --network host --cap-add NET_ADMIN --cap-add NET_RAW \
#       -e VIRTUAL_IP=192.168.1.250 -e CHECK_PORT=80 keepvip/keepvip:0.1.0
#
# Two stages: a Debian builder compiles keepvip and gathers exactly the shared libraries it
# loads; the runtime image is FROM scratch and holds keepvip, those libraries, /bin/sh (keepvip
# runs notify commands and script checks through it) and the CA bundle (libcurl's HTTPS to the
# Kubernetes and Marathon APIs). No package manager, no other program.
# It needs the host network (it owns an address on the host NIC) and NET_ADMIN (addresses)
# + NET_RAW (VRRP raw sockets); it needs no privileged mode.
#
# BASE_IMAGE: any Debian bookworm image (tests/integration/docker_image.sh builds one with
# debootstrap, offline from any registry). The predefined http_proxy build argument reaches
# apt-get when the build has no direct route to the Debian mirror.
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS builder
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        gcc libc6-dev make cmake pkg-config binutils ca-certificates \
        libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev libjansson-dev libyaml-dev \
        libmicrohttpd-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# KEEPVIP_BUILD_TESTS=OFF: the test tree (cmocka, python3, fixtures) is not configured.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DKEEPVIP_BUILD_TESTS=OFF >/dev/null \
 && cmake --build /build --target keepvip -j "$(nproc)"

# The runtime tree: keepvip and dash, every library ldd resolves for them (the dynamic loader
# included), libcurl and libmicrohttpd (loaded by keepvip at first use, so ldd does not list
# them) and their libraries, the CA bundle. Then keepvip is run inside that tree alone, libcurl
# loaded, so a missing library fails the build rather than the first start.
RUN set -eu; \
    root=/runtime; \
    mkdir -p "$root/usr/bin" "$root/bin" "$root/etc/ssl/certs"; \
    install -m 0755 -s /build/keepvip "$root/usr/bin/keepvip"; \
    install -m 0755 /bin/dash "$root/bin/dash"; \
    ln -s dash "$root/bin/sh"; \
    libcurl=$(find /usr/lib -name libcurl.so.4 | head -n 1); \
    libmhd=$(find /usr/lib -name libmicrohttpd.so.12 | head -n 1); \
    cp -L --parents "$libcurl" "$libmhd" "$root"; \
    for lib in $(for bin in /build/keepvip /bin/dash "$libcurl" "$libmhd"; do ldd "$bin"; done \
                 | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u); do \
        cp -L --parents "$lib" "$root"; \
    done; \
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"; \
    chroot "$root" /usr/bin/keepvip version; \
    if chroot "$root" /usr/bin/keepvip status --status-addr 127.0.0.1:1 2>&1 \
       | grep 'libcurl not available'; then exit 1; fi; \
    chroot "$root" /bin/sh -c 'exit 0'

FROM scratch
COPY --from=builder /runtime/ /
LABEL org.opencontainers.image.title="keepvip" \
      org.opencontainers.image.description="VRRP floating virtual IP for container orchestrators" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["/usr/bin/keepvip"]
CMD ["run"]
