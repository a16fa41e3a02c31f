"""Command line: ``python -m bot <command>``.

Commands:
    triage [FILE]   classify one message per line (FILE or stdin) with the latest trained model.
    brands check    validate every brand file.
    nlu sync        regenerate data/nlu/catalogue.yml from the brand files.
    report          the pay-per-success report of a brand (text, json, csv, --plot PNG).
    conversions import FILE.csv
                    record sales from a shop export (idempotent).
    secrets check   exit non-zero if a required secret is missing or a placeholder.
    secrets generate FILE
                    write fresh local secrets (for `make run`) unless FILE exists.
    channels credentials [--template credentials.yml] --out FILE
                    write the channels whose credentials are set in the environment.
    telegram set-webhook URL
                    register URL as the Telegram bot's webhook, with the secret token.
Results go to stdout; logs and errors go to stderr.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

from bot.brand import BrandError, load_brand
from bot.channels import enabled_credentials
from bot.conversions import import_csv_file
from bot.keys import REQUIRED_SECRETS, problem_with
from bot.ledger import Ledger, LedgerError, utcnow
from bot.nlu_sync import CATALOGUE_NLU, sync_catalogue_nlu
from bot.report import as_csv, as_json, as_text, build_report, plot
from bot.settings import PROJECT_ROOT, get_settings
from bot.triage import NoModelError, Triage, Triager, latest_model, summarise

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_MODEL = 3
EXIT_BAD_CONFIG = 4
EXIT_LEDGER = 5
EXIT_PARTIAL = 6


def _lines(stream: TextIO) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def _write_rows(results: Iterator[Triage], fmt: str, out: TextIO) -> list[Triage]:
    done: list[Triage] = []
    writer = None
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["text", "intent", "confidence", "category", "entities"])
    for result in results:
        done.append(result)
        if writer is not None:
            entities = ";".join(f"{e['entity']}={e['value']}" for e in result.entities)
            writer.writerow(
                [
                    result.text,
                    result.intent or "",
                    result.confidence,
                    result.category,
                    entities,
                ]
            )
        else:
            out.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        out.flush()
    return done


def _write_summary(results: Iterator[Triage], fmt: str, out: TextIO) -> None:
    summary = summarise(results)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["category", "count"])
        for category, count in summary["categories"].items():
            writer.writerow([category, count])
        writer.writerow(["total", summary["total"]])
    else:
        out.write(json.dumps(summary, ensure_ascii=False) + "\n")


def cmd_triage(args: argparse.Namespace) -> int:
    """Classify messages, one per input line."""
    if args.file in (None, "-"):
        source: TextIO = sys.stdin
    else:
        try:
            source = open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            print(f"Cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
    with source:
        model = Path(args.model) if args.model else latest_model(get_settings().models_dir)
        if model is None:
            print(
                f"No trained model in {get_settings().models_dir}. Run `make train` first.",
                file=sys.stderr,
            )
            return EXIT_NO_MODEL
        try:
            triager = Triager(model)
        except NoModelError as exc:
            print(f"{exc}. Run `make train` first.", file=sys.stderr)
            return EXIT_NO_MODEL
        logger.info("Loaded model %s", model)
        results = triager.classify_all(_lines(source))
        if args.summary:
            _write_summary(results, args.format, sys.stdout)
        else:
            _write_rows(results, args.format, sys.stdout)
    return EXIT_OK


def cmd_brands_check(args: argparse.Namespace) -> int:
    """Load every brand file and report the first problem of each."""
    brands_dir = get_settings().brands_dir
    status = EXIT_OK
    for path in sorted(brands_dir.glob("*.yml")):
        try:
            brand = load_brand(path.stem, brands_dir)
        except BrandError as exc:
            print(f"FAIL {path.name}: {exc}", file=sys.stderr)
            status = EXIT_BAD_CONFIG
        else:
            print(f"ok   {path.name}: {brand.name}, {len(brand.catalogue)} products")
    return status


def cmd_nlu_sync(args: argparse.Namespace) -> int:
    """Regenerate the NLU file derived from brands and places."""
    try:
        changed = sync_catalogue_nlu()
    except BrandError as exc:
        print(f"Cannot sync: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    state = "updated" if changed else "up to date"
    print(f"{CATALOGUE_NLU.relative_to(CATALOGUE_NLU.parents[2])}: {state}")
    return EXIT_OK


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _ledger() -> Ledger:
    return Ledger.from_env(get_settings().var_dir)


def cmd_report(args: argparse.Namespace) -> int:
    """Print the brand's report; optionally draw the funnel."""
    if args.since and args.until and args.since > args.until:
        print("--since is after --until", file=sys.stderr)
        return EXIT_USAGE
    try:
        brand = load_brand(args.brand)
        report = build_report(_ledger(), brand, args.since, args.until)
    except BrandError as exc:
        print(f"Unknown brand: {exc}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    except LedgerError as exc:
        print(f"Ledger unavailable: {exc}", file=sys.stderr)
        return EXIT_LEDGER
    render = {"text": as_text, "json": as_json, "csv": as_csv}[args.format]
    sys.stdout.write(render(report))
    if args.plot:
        print(f"chart written to {plot(report, Path(args.plot))}", file=sys.stderr)
    return EXIT_OK


def cmd_conversions_import(args: argparse.Namespace) -> int:
    """Import a shop's CSV export of sales; one line per problem on stderr."""
    path = Path(args.file)
    if not path.is_file():
        print(f"Cannot read {path}", file=sys.stderr)
        return EXIT_USAGE

    def window_days(slug: str) -> int:
        return load_brand(slug).billing.attribution_window_days

    try:
        report = import_csv_file(path, _ledger(), window_days=window_days, now=utcnow())
    except LedgerError as exc:
        print(
            f"Ledger unavailable, nothing imported after the last recorded line: {exc}",
            file=sys.stderr,
        )
        return EXIT_LEDGER
    *problems, summary = report.lines()
    for line in problems:
        print(line, file=sys.stderr)
    print(summary)
    return EXIT_OK if not report.errors else EXIT_PARTIAL


def cmd_secrets_check(args: argparse.Namespace) -> int:
    """Refuse to go on with an empty or placeholder secret."""
    status = EXIT_OK
    for name in REQUIRED_SECRETS:
        problem = problem_with(os.environ.get(name))
        if problem:
            print(f"{name} {problem}: set a real secret in the environment", file=sys.stderr)
            status = EXIT_BAD_CONFIG
    return status


def cmd_secrets_generate(args: argparse.Namespace) -> int:
    """Write fresh random local secrets as shell exports (kept if the file exists)."""
    path = Path(args.file)
    if path.exists():
        return EXIT_OK
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"export {name}={secrets.token_urlsafe(32)}" for name in REQUIRED_SECRETS]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("# Local secrets for `make run`, generated once. Never use them in production.\n")
        out.write("\n".join(lines) + "\n")
    print(f"local secrets written to {path}", file=sys.stderr)
    return EXIT_OK


def cmd_channels_credentials(args: argparse.Namespace) -> int:
    """Write the runtime credentials: every channel whose environment variables are set."""
    template = Path(args.template).read_text(encoding="utf-8")
    text, enabled, disabled = enabled_credentials(template)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    for name in enabled:
        print(f"channel on:  {name}", file=sys.stderr)
    for name, missing in disabled.items():
        print(f"channel off: {name} (set {', '.join(missing)})", file=sys.stderr)
    return EXIT_OK


def cmd_telegram_set_webhook(args: argparse.Namespace) -> int:
    """Register the Telegram webhook (TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN)."""
    from bot.telegram_setup import set_webhook_from_env

    return set_webhook_from_env(args.url)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Causette tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    triage = commands.add_parser("triage", help="classify one message per line")
    triage.add_argument("file", nargs="?", help="input file, one message per line (default stdin)")
    triage.add_argument("--format", choices=("json", "csv"), default="json")
    triage.add_argument("--summary", action="store_true", help="print counts per category only")
    triage.add_argument("--model", help="model archive (default: latest in models/)")
    triage.set_defaults(func=cmd_triage)

    brands = commands.add_parser("brands", help="brand files")
    brands_commands = brands.add_subparsers(dest="brands_command", required=True)
    check = brands_commands.add_parser("check", help="validate every brands/*.yml")
    check.set_defaults(func=cmd_brands_check)

    nlu = commands.add_parser("nlu", help="generated NLU data")
    nlu_commands = nlu.add_subparsers(dest="nlu_command", required=True)
    sync = nlu_commands.add_parser("sync", help="regenerate data/nlu/catalogue.yml")
    sync.set_defaults(func=cmd_nlu_sync)

    report = commands.add_parser("report", help="pay-per-success report of a brand")
    report.add_argument("--brand", help="brand slug (default: CAUSETTE_DEFAULT_BRAND)")
    report.add_argument("--since", type=_date, help="first day, YYYY-MM-DD (UTC)")
    report.add_argument("--until", type=_date, help="last day included, YYYY-MM-DD (UTC)")
    report.add_argument("--format", choices=("text", "json", "csv"), default="text")
    report.add_argument("--plot", metavar="FILE.png", help="also draw the funnel")
    report.set_defaults(func=cmd_report)

    conversions = commands.add_parser("conversions", help="sales confirmed by the shop")
    conversions_commands = conversions.add_subparsers(dest="conversions_command", required=True)
    imp = conversions_commands.add_parser(
        "import", help="import a CSV export: ref,order_id,amount,currency,ordered_at"
    )
    imp.add_argument("file")
    imp.set_defaults(func=cmd_conversions_import)

    secrets_parser = commands.add_parser("secrets", help="required secrets")
    secrets_commands = secrets_parser.add_subparsers(dest="secrets_command", required=True)
    secrets_commands.add_parser(
        "check", help="fail on missing or placeholder secrets"
    ).set_defaults(func=cmd_secrets_check)
    generate = secrets_commands.add_parser("generate", help="write local secrets once")
    generate.add_argument("file")
    generate.set_defaults(func=cmd_secrets_generate)

    channels = commands.add_parser("channels", help="channels to serve")
    channels_commands = channels.add_subparsers(dest="channels_command", required=True)
    creds = channels_commands.add_parser(
        "credentials", help="write the credentials of the channels configured in the environment"
    )
    creds.add_argument("--template", default=str(PROJECT_ROOT / "credentials.yml"))
    creds.add_argument("--out", required=True)
    creds.set_defaults(func=cmd_channels_credentials)

    telegram = commands.add_parser("telegram", help="Telegram bot set-up")
    telegram_commands = telegram.add_subparsers(dest="telegram_command", required=True)
    hook = telegram_commands.add_parser("set-webhook", help="register the webhook URL")
    hook.add_argument("url", help="https://<your host>/webhooks/telegram/webhook")
    hook.set_defaults(func=cmd_telegram_set_webhook)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args))
