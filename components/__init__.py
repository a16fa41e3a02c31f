"""Custom Rasa NLU components (referenced by module path from config.yml)."""
