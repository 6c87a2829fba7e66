#!/bin/sh
sleep "$PARAM_DELAY"
printf '{"host": "%s", "index": %d}\n' "$(printf '%s' "$PARAM_HOST" | tr -d '"\\')" "$PARAM_INDEX"
