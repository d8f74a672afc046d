# The nanochat server in a minimal image, from the Linux binaries of a release
# (or `deno task compile:all`) placed in dist/:
#
#   docker build -t nanochat .
#   docker run -p 7777:7777 -v nanochat-data:/home/nonroot nanochat
#
# History and topics live in /home/nonroot/nanochat.db (the distroless image's
# one directory the nonroot user owns; a new named volume there takes its
# owner): mount a volume there to keep them across containers.
#
# Needs BuildKit (the default builder), which sets TARGETARCH and builds only
# the stage for it, so `docker buildx build --platform linux/amd64,linux/arm64`
# works too.
ARG TARGETARCH

FROM scratch AS binary-amd64
COPY dist/nanochat-x86_64-unknown-linux-gnu /nanochat

FROM scratch AS binary-arm64
COPY dist/nanochat-aarch64-unknown-linux-gnu /nanochat

FROM binary-${TARGETARCH} AS binary

# The binary needs glibc and libgcc, nothing else.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=binary --chmod=755 /nanochat /nanochat
EXPOSE 7777
WORKDIR /home/nonroot
USER nonroot
ENTRYPOINT ["/nanochat"]
CMD ["serve", "0.0.0.0:7777", "--data", "/home/nonroot/nanochat.db"]
