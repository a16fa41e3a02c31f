"""The conversation around a message: what the customer told us before, what the bot asked, and
how a short message reads in that context ("et en noir ?" after a stock answer, "la parka noire"
after "Quel article ?", "go" after an offer).

``values`` finds what a message states (product, size, colour, place, quantity, order number,
budget) and what else it says; ``memory`` keeps what was stated across turns; ``reading`` decides
what a message means given the bot's pending question and the last topic. The Rasa policy in
``components/context_policy.py`` and the actions use them; nothing here imports Rasa.

May import: bot.brand, bot.nlu (and bot's top-level modules).
"""
