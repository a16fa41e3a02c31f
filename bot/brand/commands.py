"""``python -m bot brands check`` and ``nlu sync``: brand files, validated and mirrored."""

from __future__ import annotations

import sys

from bot.brand.brand_file import load_brand
from bot.brand.errors import BrandError
from bot.brand.nlu_sync import CATALOGUE_NLU, sync_catalogue_nlu
from bot.exit_codes import ExitCode
from bot.settings import get_settings


def check_brands() -> ExitCode:
    """Load every brand file; print one line per file, the first problem of each on stderr."""
    brands_dir = get_settings().brands_dir
    status = ExitCode.OK
    for path in sorted(brands_dir.glob("*.yml")):
        try:
            brand = load_brand(path.stem, brands_dir)
        except BrandError as exc:
            print(f"FAIL {path.name}: {exc}", file=sys.stderr)
            status = ExitCode.BAD_CONFIG
        else:
            print(f"ok   {path.name}: {brand.name}, {len(brand.catalogue)} products")
    return status


def sync_nlu() -> ExitCode:
    """Regenerate the NLU file derived from the brand files and the place list."""
    try:
        changed = sync_catalogue_nlu()
    except BrandError as exc:
        print(f"Cannot sync: {exc}", file=sys.stderr)
        return ExitCode.BAD_CONFIG
    state = "updated" if changed else "up to date"
    print(f"{CATALOGUE_NLU.relative_to(CATALOGUE_NLU.parents[2])}: {state}")
    return ExitCode.OK
