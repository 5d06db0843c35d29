"""TLS on the public listener, for a webhook served without a reverse proxy.

Telegram posts webhooks only over HTTPS to ports 443, 80, 88 or 8443. A certificate from a
public CA needs nothing more; a self-signed one is uploaded with setWebhook so that Telegram
trusts exactly it (its subject must name the webhook's host).
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from bot.config import Settings


def server_tls(settings: Settings) -> ssl.SSLContext | None:
    """The public listener's TLS context when a certificate and key are configured."""
    if settings.webhook_cert is None or settings.webhook_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.webhook_cert, settings.webhook_key)
    return context


def self_signed(certificate: Path) -> bool:
    """The file holds one certificate that is its own issuer (Telegram must be given it); a
    CA's certificate comes with its chain."""
    if certificate.read_text(errors="replace").count("-----BEGIN CERTIFICATE-----") != 1:
        return False
    # The ssl module's only reader of a certificate file's fields (private, stable since 3.x).
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:
        return True
    fields = decode(str(certificate))
    return bool(fields.get("issuer") == fields.get("subject"))


def certificate_to_upload(settings: Settings) -> bytes | None:
    """The PEM setWebhook uploads: the bot's own certificate when it is self-signed."""
    cert = settings.webhook_cert
    if cert is None or not self_signed(cert):
        return None
    return cert.read_bytes()
