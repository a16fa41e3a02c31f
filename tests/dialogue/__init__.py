"""Multi-turn conversation sets (``*.yml``) and the suite that plays them through the server."""
