"""Command line: ``python -m bot <command>``. Argument parsing only.

Each sub-command is carried out by the package it belongs to, in that package's ``commands``
module (the secrets commands by :mod:`bot.keys`):

    triage [FILE]          bot.nlu.commands.triage: classify one message per line.
    brands check           bot.brand.commands.check_brands: validate every brand file.
    nlu sync               bot.brand.commands.sync_nlu: regenerate data/nlu/catalogue.yml.
    report                 bot.sales.commands.report: the pay-per-success report of a brand.
    conversions import F   bot.sales.commands.import_conversions: sales from a shop's CSV.
    secrets check          bot.keys.check_secrets: fail on a missing or placeholder secret.
    secrets generate F     bot.keys.generate_local_secrets: local secrets for `make run`.
    channels credentials   bot.channels.commands.write_credentials: the channels to serve.
    telegram set-webhook U bot.channels.commands.set_telegram_webhook: register the webhook.

Results go to stdout; logs and errors go to stderr; exit statuses are
:class:`bot.exit_codes.ExitCode`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import date

from bot import keys
from bot.brand import commands as brand_commands
from bot.channels import commands as channel_commands
from bot.nlu import commands as nlu_commands
from bot.sales import commands as sales_commands
from bot.settings import PROJECT_ROOT


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Causette tools.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    triage = commands.add_parser("triage", help="classify one message per line")
    triage.add_argument("file", nargs="?", help="input file, one message per line (default stdin)")
    triage.add_argument("--format", choices=nlu_commands.FORMATS, default="json")
    triage.add_argument("--summary", action="store_true", help="print counts per category only")
    triage.add_argument("--model", help="model archive (default: latest in models/)")
    triage.set_defaults(
        run=lambda a: nlu_commands.triage(a.file, a.format, a.summary, a.model),
    )

    brands = commands.add_parser("brands", help="brand files")
    brands_commands = brands.add_subparsers(dest="brands_command", required=True)
    check = brands_commands.add_parser("check", help="validate every brands/*.yml")
    check.set_defaults(run=lambda a: brand_commands.check_brands())

    nlu = commands.add_parser("nlu", help="generated NLU data")
    nlu_subcommands = nlu.add_subparsers(dest="nlu_command", required=True)
    sync = nlu_subcommands.add_parser("sync", help="regenerate data/nlu/catalogue.yml")
    sync.set_defaults(run=lambda a: brand_commands.sync_nlu())

    report = commands.add_parser("report", help="pay-per-success report of a brand")
    report.add_argument("--brand", help="brand slug (default: CAUSETTE_DEFAULT_BRAND)")
    report.add_argument("--since", type=_date, help="first day, YYYY-MM-DD (UTC)")
    report.add_argument("--until", type=_date, help="last day included, YYYY-MM-DD (UTC)")
    report.add_argument("--format", choices=tuple(sales_commands.RENDERERS), default="text")
    report.add_argument("--plot", metavar="FILE.png", help="also draw the funnel")
    report.set_defaults(
        run=lambda a: sales_commands.report(a.brand, a.since, a.until, a.format, a.plot),
    )

    conversions = commands.add_parser("conversions", help="sales confirmed by the shop")
    conversions_commands = conversions.add_subparsers(dest="conversions_command", required=True)
    imp = conversions_commands.add_parser(
        "import", help="import a CSV export: ref,order_id,amount,currency,ordered_at"
    )
    imp.add_argument("file")
    imp.set_defaults(run=lambda a: sales_commands.import_conversions(a.file))

    secrets_parser = commands.add_parser("secrets", help="required secrets")
    secrets_commands = secrets_parser.add_subparsers(dest="secrets_command", required=True)
    secrets_commands.add_parser(
        "check", help="fail on missing or placeholder secrets"
    ).set_defaults(run=lambda a: keys.check_secrets())
    generate = secrets_commands.add_parser("generate", help="write local secrets once")
    generate.add_argument("file")
    generate.set_defaults(run=lambda a: keys.generate_local_secrets(a.file))

    channels = commands.add_parser("channels", help="channels to serve")
    channels_subcommands = channels.add_subparsers(dest="channels_command", required=True)
    creds = channels_subcommands.add_parser(
        "credentials", help="write the credentials of the channels configured in the environment"
    )
    creds.add_argument("--template", default=str(PROJECT_ROOT / "credentials.yml"))
    creds.add_argument("--out", required=True)
    creds.set_defaults(run=lambda a: channel_commands.write_credentials(a.template, a.out))

    telegram = commands.add_parser("telegram", help="Telegram bot set-up")
    telegram_commands = telegram.add_subparsers(dest="telegram_command", required=True)
    hook = telegram_commands.add_parser("set-webhook", help="register the webhook URL")
    hook.add_argument("url", help="https://<your host>/webhooks/telegram/webhook")
    hook.set_defaults(run=lambda a: channel_commands.set_telegram_webhook(a.url))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return int(args.run(args))
