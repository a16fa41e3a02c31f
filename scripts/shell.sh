#!/usr/bin/env bash
# `make run`: the action server in the background, `rasa shell` in the foreground.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

# Local conversations need the same secrets as a deployment: generate them once under var/,
# unless the environment already provides real ones.
if ! .venv/bin/python -m bot secrets check 2>/dev/null; then
    .venv/bin/python -m bot secrets generate var/secrets.env
    set -a
    # shellcheck source=/dev/null
    source var/secrets.env
    set +a
fi

# credentials.yml holds ${ENV} placeholders that Rasa refuses to leave unset: keep the channels
# whose variables are set (usually just REST and the conversion webhook here).
.venv/bin/python -m bot channels credentials --out var/credentials.yml 2>/dev/null || exit 1

.venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" > var/actions.log 2>&1 &
actions_pid=$!
trap 'kill -TERM "$actions_pid" 2>/dev/null; wait "$actions_pid" 2>/dev/null' EXIT

for _ in $(seq 1 60); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$ACTION_PORT") 2>/dev/null; then break; fi
    if ! kill -0 "$actions_pid" 2>/dev/null; then
        echo "The action server did not start; see var/actions.log" >&2
        exit 1
    fi
    sleep 0.5
done

echo "Parlez au bot en français. /stop pour quitter. (action server log: var/actions.log)"
# Only our conversation on screen: warnings and INFO logs go away (the server log is not needed here).
PYTHONWARNINGS=ignore .venv/bin/rasa shell --quiet --model models --endpoints endpoints.yml \
    --credentials var/credentials.yml \
    --interface 127.0.0.1 --port "$PORT"
