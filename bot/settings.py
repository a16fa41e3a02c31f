"""Typed settings, read once from the environment.

Every tunable lives here so that actions, connectors and the CLI agree on one value. Secrets are
never given defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(name: str, default: Path) -> Path:
    raw = os.environ.get(name, "").strip()
    path = Path(raw) if raw else default
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of Causette."""

    brands_dir: Path
    default_brand: str
    models_dir: Path
    var_dir: Path

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``CAUSETTE_*`` environment variables, with safe defaults."""
        return cls(
            brands_dir=_path("CAUSETTE_BRANDS_DIR", PROJECT_ROOT / "brands"),
            default_brand=os.environ.get("CAUSETTE_DEFAULT_BRAND", "").strip() or "demo",
            models_dir=_path("CAUSETTE_MODELS_DIR", PROJECT_ROOT / "models"),
            var_dir=_path("CAUSETTE_VAR_DIR", PROJECT_ROOT / "var"),
        )


def get_settings() -> Settings:
    """Current settings (read from the environment on each call; cheap)."""
    return Settings.from_env()
