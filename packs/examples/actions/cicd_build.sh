#!/bin/sh
# Build stage of the CI/CD example (seed 004): produces app.bin, which the workflow declares as an
# artifact; the worker stores it (hashed) before this task counts as finished.
set -eu
cat > app.bin <<'APP'
#!/bin/sh
# A stand-in for a compiled binary: it can test itself.
case "${1:-}" in
  --test) echo "app: 3 tests passed" ;;
  *) echo "app v1.0.0" ;;
esac
APP
chmod +x app.bin
sha256sum app.bin
