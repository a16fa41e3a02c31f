"""Handing a conversation to a person: when (rules), to which local team (routing), the stored
escalations and the Slack outbox, the Slack messages (card, mirrors, reminders) and the sale form.

Posting to Slack and reading what people do there is in ``connectors/`` (``slack_handoff``,
``slack_dispatcher``); starting a handoff is ``actions/handoff.py``.

May import: bot.brand, bot.channels, bot.nlu, bot.sales (and bot's top-level modules).
"""
