"""`python -m bot …` as a person types it: each sub-command reaches its package and exits as said.

Triage and the report's output are tested end to end elsewhere (test_triage_cli.py,
e2e/test_funnel.py); here, the commands a deployment runs and what they answer on bad input.
"""

from __future__ import annotations

import stat
from datetime import datetime, timezone

import pytest

from bot.cli import main
from bot.exit_codes import ExitCode
from bot.keys import REQUIRED_SECRETS
from bot.sales.ledger import EventKind, FunnelEvent, Ledger, Offer, new_ref
from bot.settings import PROJECT_ROOT, get_settings


def test_brands_check_lists_every_brand_file(capsys):
    assert main(["brands", "check"]) == ExitCode.OK
    assert "ok   demo.yml: Maison Brume" in capsys.readouterr().out


def test_brands_check_names_the_broken_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "demo.yml").write_text((PROJECT_ROOT / "brands" / "demo.yml").read_text("utf-8"))
    (tmp_path / "cassee.yml").write_text("slug: cassee\nname: Cassée\n", encoding="utf-8")
    monkeypatch.setenv("CAUSETTE_BRANDS_DIR", str(tmp_path))
    assert main(["brands", "check"]) == ExitCode.BAD_CONFIG
    out, err = capsys.readouterr()
    assert "ok   demo.yml" in out
    assert "FAIL cassee.yml: cassee.yml: missing 'catalogue'" in err


def test_conversions_import_records_good_lines_and_lists_the_others(tmp_path, capsys):
    ref = new_ref()
    created = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    ledger = Ledger.from_env(get_settings().var_dir)
    ledger.create_offer(
        Offer(ref, "demo", "messenger", "c_1", "parka_boreale", 18900, "EUR", created),
        FunnelEvent(f"offer:{ref}", EventKind.OFFER_MADE, "demo", created, product="parka"),
    )
    export = tmp_path / "ventes.csv"
    export.write_text(
        "ref,order_id,amount,currency,ordered_at\n"
        f"{ref},MB-1001,189.00,EUR,2026-11-21T09:00:00+00:00\n"
        f"{ref},MB-1001,189.00,EUR,2026-11-21T09:00:00+00:00\n"
        f"{new_ref()},MB-1002,59.90,EUR,2026-11-21T09:00:00+00:00\n",
        encoding="utf-8",
    )
    assert main(["conversions", "import", str(export)]) == ExitCode.PARTIAL
    out, err = capsys.readouterr()
    assert out.strip() == "1 recorded, 1 already known, 1 rejected"
    assert err.startswith("line 4: unknown ref")
    assert main(["conversions", "import", str(tmp_path / "absent.csv")]) == ExitCode.USAGE


def test_report_refuses_a_backwards_period_and_an_unknown_brand(capsys):
    assert main(["report", "--since", "2026-12-01", "--until", "2026-11-01"]) == ExitCode.USAGE
    assert main(["report", "--brand", "inconnue"]) == ExitCode.BAD_CONFIG
    assert "Unknown brand" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["report", "--since", "hier"])
    assert usage.value.code == ExitCode.USAGE


def test_secrets_check_and_generate(tmp_path, monkeypatch, capsys):
    assert main(["secrets", "check"]) == ExitCode.OK  # conftest sets real-looking ones
    monkeypatch.setenv("PSEUDONYMISATION_KEY", "changeme")
    assert main(["secrets", "check"]) == ExitCode.BAD_CONFIG
    assert "PSEUDONYMISATION_KEY is a placeholder" in capsys.readouterr().err

    path = tmp_path / "var" / "secrets.env"
    assert main(["secrets", "generate", str(path)]) == ExitCode.OK
    first = path.read_text(encoding="utf-8")
    assert all(f"export {name}=" in first for name in REQUIRED_SECRETS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert main(["secrets", "generate", str(path)]) == ExitCode.OK
    assert path.read_text(encoding="utf-8") == first  # generated once, never replaced


def test_channels_credentials_keeps_the_channels_whose_variables_are_set(
    tmp_path, monkeypatch, capsys
):
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_SECRET_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "credentials.yml"
    assert main(["channels", "credentials", "--out", str(out)]) == ExitCode.OK
    assert "connectors.conversions.ConversionInput" in out.read_text(encoding="utf-8")
    assert "connectors.telegram.TelegramInput" not in out.read_text(encoding="utf-8")
    assert "channel off: connectors.telegram.TelegramInput" in capsys.readouterr().err


def test_telegram_set_webhook_without_a_token_is_a_configuration_error(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    url = "https://bot.example.org/webhooks/telegram/webhook"
    assert main(["telegram", "set-webhook", url]) == ExitCode.BAD_CONFIG
