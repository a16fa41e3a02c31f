"""Causette's custom actions (rasa_sdk), one module per concern. They stay thin: read the tracker,
ask ``bot`` for the answer, return events and response names."""
