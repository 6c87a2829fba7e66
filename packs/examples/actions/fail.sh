#!/bin/sh
printf '%s\n' "$PARAM_MESSAGE" >&2
exit 1
