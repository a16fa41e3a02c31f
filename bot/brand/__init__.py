"""A brand as its file describes it: ``brands/<slug>.yml`` loaded and validated (its ``handoff:``
section included), catalogue answers (products, stock, delivery, stores), places, the copy the
actions send, and the NLU data generated from the brand files.

May import: bot.nlu (and bot's top-level modules).
"""
