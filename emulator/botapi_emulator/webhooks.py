"""Telegram's webhook rules, for the emulator: which URLs setWebhook accepts, and how updates
reach them over TLS.

Telegram posts only to https URLs on ports 443, 80, 88 or 8443 ("bad webhook: Webhook can be
set up only on ports 80, 88, 443 or 8443"). It verifies the server's certificate against the
public CAs, or, when setWebhook uploaded a `certificate` (a self-signed one), against exactly
that certificate, whose subject must name the webhook's host. Tests cannot bind port 443: they
either let any port through or map an allowed port to the one the bot listens on, the way a
port forward in front of a server would.
"""

from __future__ import annotations

import ssl
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit, urlunsplit

TELEGRAM_WEBHOOK_PORTS: frozenset[int] = frozenset({80, 88, 443, 8443})
WRONG_PORT = "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
NOT_HTTPS = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
BAD_CERTIFICATE = "Bad Request: bad webhook: Failed to set custom certificate file"


def refusal(url: str, *, allow_http: bool, ports: Collection[int] | None) -> str | None:
    """Telegram's description of why setWebhook refuses `url`, or None when it is accepted
    ("" deletes the webhook and is always accepted)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Bad Request: bad webhook: Failed to resolve host: Name or service not known"
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_http and scheme == "http"):
        return NOT_HTTPS
    if not parts.hostname:
        return "Bad Request: bad webhook: Failed to resolve host: Name or service not known"
    if port is None:
        port = 443 if scheme == "https" else 80
    if ports is not None and port not in ports:
        return WRONG_PORT
    return None


def trusting(certificate: bytes) -> ssl.SSLContext:
    """A client context that trusts the uploaded certificate (ValueError if it is not PEM)."""
    try:
        pem = certificate.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("not a PEM certificate") from None
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError("not a PEM certificate")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    try:
        context.load_verify_locations(cadata=pem)
    except ssl.SSLError as exc:
        raise ValueError(f"not a PEM certificate: {exc}") from None
    # The uploaded certificate is the trust anchor even when it is not a CA's own.
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def delivery_url(url: str, port_map: Mapping[int, int]) -> str:
    """Where the emulator actually connects: the port forward of `port_map`, if any."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    target = port_map.get(port)
    if target is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return urlunsplit(parts._replace(netloc=f"{host}:{target}"))
