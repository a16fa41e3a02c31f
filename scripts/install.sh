#!/usr/bin/env bash
# Create .venv/ with a Python 3.10 and install the pinned set from requirements.lock.
#   scripts/install.sh          install (or repair) the virtualenv
#   scripts/install.sh --lock   re-resolve requirements.in into requirements.lock
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
    local candidates=(python3.10)
    local root
    root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
    candidates+=("$root"/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10)
    for candidate in "${candidates[@]}"; do
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
            command -v "$candidate" 2>/dev/null || echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! PYTHON="$(find_python310)"; then
    cat >&2 <<'MSG'
Causette needs Python 3.10 (Rasa 3.6 does not run on 3.11 or later), and none was found.
Install one, then run this again:
  - with pyenv:   pyenv install 3.10.13
  - on Debian/Ubuntu: apt-get install python3.10 python3.10-venv  (deadsnakes PPA on Ubuntu)
  - on macOS:     brew install python@3.10
MSG
    exit 1
fi
echo "Using $PYTHON ($("$PYTHON" --version))"

if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
    rm -rf .venv
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24,<27" "setuptools==70.3.0"

if [[ "${1:-}" == "--lock" ]]; then
    tmp="$(mktemp -d)"
    "$PYTHON" -m venv "$tmp/venv"
    "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check -r requirements.in
    {
        echo "# Resolved from requirements.in with Python 3.10 (make lock). Installed with --no-deps: edit requirements.in, not this file."
        "$tmp/venv/bin/pip" freeze --all --exclude-editable | grep -v "^pip=="
    } > requirements.lock
    rm -rf "$tmp"
    echo "requirements.lock updated"
fi

# --no-deps: the lock is the complete, resolved set; nothing else may sneak in.
.venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
.venv/bin/pip check
.venv/bin/python -c 'import spacy; spacy.load("fr_core_news_md")' >/dev/null
echo "Installed into .venv/"
