"""Causette's business: plain Python that actions, connectors and the command line build on.

Nothing here imports the Rasa server, ``actions`` or ``connectors``. Domain packages, each
with its own rules of what it may import (its ``May import:`` line, checked by
``tests/test_architecture.py``); lower in the list never imports higher:

    nlu/        reading customer text: folding, categories, negativity, order numbers,
                contact details, triage with the trained model
    channels/   what the channels share: delivery and contact state, credentials, Telegram set-up
    brand/      brand files and their sections, catalogue answers, places, copy, NLU sync
    sales/      money, the ledger, funnel facts, conversions, the pay-per-success report
    handoff/    when a person takes over, which team, escalations and the Slack outbox,
                Slack messages and the sale form

Top-level modules, importable from every package, importing no package themselves:
``settings`` (typed settings from the environment), ``keys`` (secrets and pseudonyms),
``storage`` (SQL engines and versioned schemas), ``exit_codes``. ``cli`` parses the arguments of
``python -m bot`` and hands each sub-command to its package's ``commands`` module.
"""
