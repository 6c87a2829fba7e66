#!/usr/bin/env python3
"""python_example.artifact_demo: a running action creating artifacts through the Attune API.

Standard library only. The worker hands the process ATTUNE_API_URL, ATTUNE_EXEC_ID and
ATTUNE_API_TOKEN (the execution token: it may create and upload artifacts of this execution
only), and the parameters as JSON on stdin.
"""
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

API_URL = os.environ["ATTUNE_API_URL"].rstrip("/")
EXEC_ID = int(os.environ["ATTUNE_EXEC_ID"])
TOKEN = os.environ["ATTUNE_API_TOKEN"]


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def call(method, path, body=None, headers=None):
    """One API call; answers the `data` of the JSON reply, raises with the API's error otherwise."""
    data = None
    all_headers = {"Authorization": "Bearer " + TOKEN, "Accept": "application/json"}
    if isinstance(body, bytes):
        data = body
    elif body is not None:
        data = json.dumps(body).encode("utf-8")
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    request = urllib.request.Request(API_URL + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read().decode("utf-8"))["data"]
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")
        raise RuntimeError("%s %s answered %s: %s" % (method, path, err.code, detail)) from None


def upload(artifact_id, name, content, content_type):
    """POST a multipart/form-data body with the content in the field `file`."""
    boundary = "attune-" + uuid.uuid4().hex
    head = (
        "--%s\r\n"
        'Content-Disposition: form-data; name="file"; filename="%s"\r\n'
        "Content-Type: %s\r\n\r\n" % (boundary, name, content_type)
    ).encode("utf-8")
    tail = ("\r\n--%s--\r\n" % boundary).encode("utf-8")
    return call(
        "POST",
        "/api/v1/artifacts/%d/versions/upload" % artifact_id,
        head + content + tail,
        {"Content-Type": "multipart/form-data; boundary=" + boundary},
    )


def main():
    raw = sys.stdin.read()
    params = json.loads(raw) if raw.strip() else {}
    iterations = int(params.get("iterations", 50))
    pause = float(params.get("sleep_seconds", 0.5))
    if not 1 <= iterations <= 1000:
        raise SystemExit("iterations must be between 1 and 1000")

    # Refs are unique: the execution id and a timestamp keep runs apart.
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    log = call("POST", "/api/v1/artifacts", {
        "ref": "python_example.artifact_demo.%d.%s.log" % (EXEC_ID, stamp),
        "type": "file_text",
        "name": "artifact_demo-%d.log" % EXEC_ID,
        "description": "Log of the artifact demo, one version per iteration",
        "content_type": "text/plain",
        "execution": EXEC_ID,
    })
    progress = call("POST", "/api/v1/artifacts", {
        "ref": "python_example.artifact_demo.%d.%s.progress" % (EXEC_ID, stamp),
        "type": "progress",
        "name": "artifact_demo-%d progress" % EXEC_ID,
        "execution": EXEC_ID,
    })

    lines = []
    version = None
    for i in range(1, iterations + 1):
        lines.append("%s iteration %d of %d\n" % (now(), i, iterations))
        version = upload(log["id"], log["name"], "".join(lines).encode("utf-8"), "text/plain")
        percent = round(100.0 * i / iterations, 2)
        call("POST", "/api/v1/artifacts/%d/progress" % progress["id"], {"entry": {
            "iteration": i,
            "percent": percent,
            "message": "iteration %d of %d" % (i, iterations),
            "timestamp": now(),
        }})
        if i < iterations and pause > 0:
            time.sleep(pause)

    json.dump({
        "file_artifact_id": log["id"],
        "progress_artifact_id": progress["id"],
        "iterations": iterations,
        "latest_version": version["version"],
        "sha256": version["sha256"],
        "status": "completed",
    }, sys.stdout)


if __name__ == "__main__":
    main()
