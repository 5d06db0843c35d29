"""``python -m botapi_emulator``: one emulator in its own process, until Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0, help="global sends/s (0: no limit)")
    parser.add_argument("--paid-rate", type=float, default=1000,
                        help="sends/s made with allow_paid_broadcast (Telegram: 1000)")
    parser.add_argument("--window", type=float, default=1.0,
                        help="at most rate × window sends in any window of this many seconds")
    parser.add_argument("--allow-http-webhooks", action="store_true",
                        help="accept http:// webhook URLs (bots on this machine)")
    parser.add_argument("--any-webhook-port", action="store_true",
                        help="accept webhook URLs on any port, not only 80, 88, 443 and 8443")
    arguments = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.host, arguments.port, arguments.rate or None,
                          allow_http_webhooks=arguments.allow_http_webhooks,
                          window=arguments.window, paid_rate=arguments.paid_rate or None,
                          any_webhook_port=arguments.any_webhook_port))


if __name__ == "__main__":
    main()
