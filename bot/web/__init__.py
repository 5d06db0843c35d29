"""The bot's web server: the dashboard, health and metrics, and the webhook endpoint."""
