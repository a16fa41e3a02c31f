#!/usr/bin/env bash
# Foreground server: the action server on ACTION_PORT and `rasa run --enable-api` on PORT.
# Ctrl-C or SIGTERM stops the Rasa server first (it finishes the turns it is running, which need
# the action server), then the action server; if either dies, the other is stopped too.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

# No request body above 1 MB on any route (our webhooks set smaller limits of their own); Sanic
# refuses a larger one from its headers, before reading it.
export SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-1048576}"

# Refuse to serve with an empty or placeholder secret (see README, "Secrets").
.venv/bin/python -m bot secrets check || exit 1
# Serve each channel of credentials.yml whose environment variables are set.
.venv/bin/python -m bot channels credentials --out var/credentials.yml || exit 1

.venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" &
actions_pid=$!
.venv/bin/rasa run --enable-api --interface "$HOST" --port "$PORT" \
    --model models --credentials var/credentials.yml --endpoints endpoints.yml &
rasa_pid=$!

stop() {
    trap - INT TERM
    kill -TERM "$rasa_pid" 2>/dev/null
    wait "$rasa_pid" 2>/dev/null
    kill -TERM "$actions_pid" 2>/dev/null
    wait "$actions_pid" 2>/dev/null
    exit 0
}
trap stop INT TERM

wait -n "$actions_pid" "$rasa_pid"
status=$?
echo "serve: a server exited (status $status); stopping the other" >&2
kill -TERM "$rasa_pid" "$actions_pid" 2>/dev/null
wait 2>/dev/null
exit "$status"
