# earshot in a container: a static binary on an empty base, run as a
# non-root user. Build: docker build -t earshot .
# Run:   docker run --network host -v /etc/earshot:/etc/earshot -v earshot-data:/var/lib/earshot earshot
# (host networking: SIP and RTP use many UDP ports; see docs/nat.md).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/earshot ./cmd/earshot

FROM scratch
COPY --from=build /out/earshot /usr/local/bin/earshot
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
USER 65532:65532
VOLUME ["/var/lib/earshot"]
EXPOSE 8080/tcp 5060/udp 5060/tcp
ENTRYPOINT ["/usr/local/bin/earshot"]
CMD ["serve", "--config", "/etc/earshot/earshot.yaml"]
