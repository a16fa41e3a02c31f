"""Reading customer text: folding, intent categories, negativity, order numbers, contact details,
and triage of messages with the trained model (``python -m bot triage``).

The NLU pipeline itself is Rasa's, configured in ``config.yml`` with our ``components/``; they
and the actions use what is here.

May import: bot's top-level modules only.
"""
