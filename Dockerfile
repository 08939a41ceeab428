# Multi-stage build: a static binary (pure-Go SQLite, no cgo) on a minimal
# image, running as a non-root user with the data folder as a volume.
# A pinned patch release: the binary carries the standard library of the
# build, so the pin is what brings its security fixes. Raise it with each
# Go security release (https://go.dev/doc/devel/release).
FROM golang:1.26.11 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/fedpress ./cmd/fedpress
# The volume's mount point must exist in the image owned by the runtime
# user: Docker initializes a new named volume from it, and one created by
# Docker itself would be root's and unwritable for nonroot.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/fedpress /usr/local/bin/fedpress
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
VOLUME ["/data"]
ENV FEDPRESS_DATA=/data FEDPRESS_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/fedpress"]
CMD ["serve"]
