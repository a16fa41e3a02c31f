"""``python -m bot report`` and ``python -m bot conversions import``: billing from the ledger."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from bot.brand.brand_file import load_brand
from bot.brand.errors import BrandError
from bot.exit_codes import ExitCode
from bot.sales.conversions import import_csv_file
from bot.sales.ledger import Ledger, LedgerError, utcnow
from bot.sales.report import as_csv, as_json, as_text, build_report, plot
from bot.settings import get_settings
from bot.storage import SchemaTooNew

RENDERERS = {"text": as_text, "json": as_json, "csv": as_csv}


def _ledger() -> Ledger:
    return Ledger.from_env(get_settings().var_dir)


def report(
    brand: str | None,
    since: date | None,
    until: date | None,
    fmt: str = "text",
    plot_to: str | None = None,
) -> ExitCode:
    """Print the brand's pay-per-success report; optionally draw the funnel to a PNG."""
    if since and until and since > until:
        print("--since is after --until", file=sys.stderr)
        return ExitCode.USAGE
    try:
        result = build_report(_ledger(), load_brand(brand), since, until)
    except BrandError as exc:
        print(f"Unknown brand: {exc}", file=sys.stderr)
        return ExitCode.BAD_CONFIG
    except (LedgerError, SchemaTooNew) as exc:
        print(f"Ledger unavailable: {exc}", file=sys.stderr)
        return ExitCode.LEDGER
    sys.stdout.write(RENDERERS[fmt](result))
    if plot_to:
        print(f"chart written to {plot(result, Path(plot_to))}", file=sys.stderr)
    return ExitCode.OK


def import_conversions(file: str) -> ExitCode:
    """Import a shop's CSV export of sales; one line per problem on stderr."""
    path = Path(file)
    if not path.is_file():
        print(f"Cannot read {path}", file=sys.stderr)
        return ExitCode.USAGE

    def window_days(slug: str) -> int:
        return load_brand(slug).billing.attribution_window_days

    try:
        result = import_csv_file(path, _ledger(), window_days=window_days, now=utcnow())
    except (LedgerError, SchemaTooNew) as exc:
        print(
            f"Ledger unavailable, nothing imported after the last recorded line: {exc}",
            file=sys.stderr,
        )
        return ExitCode.LEDGER
    *problems, summary = result.lines()
    for line in problems:
        print(line, file=sys.stderr)
    print(summary)
    return ExitCode.OK if not result.errors else ExitCode.PARTIAL
