"""What the customer channels share below the connectors: the inbox of deliveries and customers'
last messages (the state database), which channels to serve, and the Telegram bot's set-up.

The channels themselves (webhooks, Send APIs) are in ``connectors/``.

May import: bot's top-level modules only.
"""
