"""Causette's business layer: settings, brands and catalogue, intent categories, triage.

Nothing in this package imports the Rasa server; it is plain Python that actions, connectors and
the command line build on.
"""
