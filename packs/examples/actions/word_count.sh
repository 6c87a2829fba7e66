#!/bin/sh
# The text arrives in the environment, never in the script's text.
printf '{"words": %d}\n' "$(printf '%s' "$PARAM_TEXT" | wc -w)"
