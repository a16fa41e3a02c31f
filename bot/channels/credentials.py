"""Which channels a deployment serves: those whose credentials are set in the environment.

``credentials.yml`` lists every channel Causette has, with only ``${ENV}`` placeholders. Rasa
refuses to start if a placeholder's variable is unset, so ``make serve`` writes the runtime copy
(``var/credentials.yml``) with the channels whose variables are all set, and says which ones it
left out and why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Channel:
    """One top-level section of credentials.yml."""

    name: str
    text: str
    variables: tuple[str, ...]

    def missing(self, environ: Mapping[str, str]) -> list[str]:
        return [name for name in self.variables if not environ.get(name, "").strip()]


def read_sections(template: str) -> tuple[str, list[Channel]]:
    """(header comments, channel sections) of a credentials template, in order."""
    header: list[str] = []
    channels: list[Channel] = []
    current: list[str] | None = None
    comments: list[str] = []

    def close() -> None:
        if current:
            text = "".join(current)
            key = next(line for line in current if line[:1] not in ("#", "\n", "\r", ""))
            name = key.split(":", 1)[0].strip()
            variables = tuple(dict.fromkeys(PLACEHOLDER.findall(text)))
            channels.append(Channel(name, text, variables))

    for line in template.splitlines(keepends=True):
        top_level = line[:1] not in (" ", "\t", "#", "\n", "\r", "")
        if top_level:
            close()
            current = comments + [line]
            comments = []
        elif line.startswith("#") or not line.strip():
            if current is None:
                header.append(line)
            else:
                comments.append(line)
        elif current is not None:
            current.extend(comments + [line])
            comments = []
    close()
    return "".join(header), channels


def enabled_credentials(
    template: str, environ: Mapping[str, str] | None = None
) -> tuple[str, list[str], dict[str, list[str]]]:
    """(runtime credentials text, enabled channel names, {disabled channel: missing variables})."""
    environ = os.environ if environ is None else environ
    header, channels = read_sections(template)
    kept: list[str] = []
    enabled: list[str] = []
    disabled: dict[str, list[str]] = {}
    for channel in channels:
        missing = channel.missing(environ)
        if missing:
            disabled[channel.name] = missing
        else:
            kept.append(channel.text)
            enabled.append(channel.name)
    return header + "".join(kept), enabled, disabled
