"""Pay-per-success: money, the append-only ledger, the funnel facts read off conversations, sales
confirmed by the shop (webhook and CSV import), and the report that bills them.

May import: bot.brand, bot.nlu (and bot's top-level modules).
"""
