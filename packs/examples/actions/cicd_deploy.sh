#!/bin/sh
# Deploy stage: consumes the same app.bin as the test stage (byte-identical: same SHA-256).
set -eu
sha256sum app.bin
echo "deployed app.bin ($(wc -c < app.bin) bytes) to ${target:-production}"
