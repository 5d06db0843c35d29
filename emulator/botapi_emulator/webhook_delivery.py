"""setWebhook, deleteWebhook and getWebhookInfo: updates pushed to the bot's webhook one by
one, as Telegram does (its URL and TLS rules are in webhooks.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp

from . import webhooks
from .params import Handler, Params
from .state import JSON, bad
from .updates import Updates


class WebhookDelivery(Updates):
    """The webhook as set, the task pushing updates to it, and its last error."""

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
        }

    @property
    def webhook_url(self) -> str:
        """The URL set by setWebhook ("" if none)."""
        return self._webhook_url

    async def _m_set_webhook(self, p: Params) -> bool:
        url = p.str_opt("url") or ""
        refused = webhooks.refusal(
            url, allow_http=self.allow_http_webhooks, ports=self.webhook_ports)
        if refused:
            raise bad(refused)
        certificate = p.uploads.get("certificate")
        tls = None
        if certificate is not None:
            try:
                tls = webhooks.trusting(certificate.data)
            except ValueError:
                raise bad(webhooks.BAD_CERTIFICATE) from None
        self.webhook_certificate = certificate.data if certificate is not None else None
        self._webhook_tls = tls
        self._webhook_error = None
        if p.bool_("drop_pending_updates"):
            self._updates.clear()
        allowed = p.json_opt("allowed_updates", "Bad Request: can't parse allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(str(a) for a in allowed) or None
        self._webhook_url = url
        self._webhook_params = {k: v for k, v in p.values.items() if k != "url"}
        if url and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.create_task(self._push_updates())
        self._bump()
        return True

    async def _push_updates(self) -> None:
        """Deliver queued updates to the webhook one by one, in order, until each gets a 2xx."""
        delay = 0.05
        async with aiohttp.ClientSession() as http:
            while self._webhook_url and not self._closing:
                self._updates = [u for u in self._updates if self._update_allowed(u)]
                if not self._updates:
                    await self._wait_change(1.0)
                    continue
                update = self._updates[0]
                secret = self._webhook_params.get("secret_token")
                headers = {"X-Telegram-Bot-Api-Secret-Token": str(secret)} if secret else {}
                self.webhook_attempts += 1
                error = await self._post_update(http, update, headers)
                delivered = error is None
                if error is not None:  # getWebhookInfo changed: waiters look again
                    self._webhook_error = (int(time.time()), error)
                    self._bump()
                if not delivered:  # Telegram retries too, with growing pauses
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                delay = 0.05
                if self._updates and self._updates[0] is update:
                    self._updates.pop(0)
                self._delivered_up_to = max(self._delivered_up_to, update["update_id"])
                self._bump()

    async def _post_update(
        self, http: aiohttp.ClientSession, update: JSON, headers: dict[str, str]
    ) -> str | None:
        """POST one update to the webhook; None when it took it (2xx), else the error as
        getWebhookInfo's last_error_message words it."""
        url = webhooks.delivery_url(self._webhook_url, self.webhook_port_map)
        try:
            async with http.post(
                url, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10),
                # An uploaded certificate is trusted alone; else the public CAs, as Telegram.
                ssl=self._webhook_tls if self._webhook_tls is not None else True,
            ) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except aiohttp.ClientSSLError as exc:
            return f"SSL error {{{exc}}}"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except (aiohttp.ClientError, TimeoutError):
            return "Read timeout expired"

    async def _m_delete_webhook(self, p: Params) -> bool:
        if p.bool_("drop_pending_updates"):
            self._updates.clear()
        self._webhook_url = ""
        self._webhook_params = {}
        self.webhook_certificate = None
        self._webhook_tls = None
        self._webhook_error = None
        self._bump()
        return True

    async def _m_get_webhook_info(self, p: Params) -> JSON:
        info: JSON = {
            "url": self._webhook_url,
            "has_custom_certificate": self.webhook_certificate is not None,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _stop_webhook(self) -> None:
        """Cancel the task pushing updates (the emulator stops)."""
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
