"""Bot API requests over aiohttp's client instead of PTB's default httpx.

Measured in bench/checkin_burst.py: with many updates in flight, httpcore scans every pooled
connection for each request, and that scan cost more than our own work; aiohttp's connector
keeps a free-connection list. The error mapping follows PTB's HTTPXRequest: transport timeouts
become TimedOut, other transport errors NetworkError, and HTTP statuses are left to
BaseRequest (429 → RetryAfter, 403 → Forbidden, ...).
"""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.request
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp_socks import ProxyConnector
from python_socks import ProxyError
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")
# The schemes whose proxy resolves Telegram's name (DNS may be poisoned locally), and the
# scheme python_socks knows them by.
REMOTE_DNS = {"socks5h": "socks5", "socks4a": "socks4"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def check_proxy_url(url: str) -> str:
    """A proxy URL the transport can use, else ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        raise ValueError("use http://, https://, socks5://, socks5h://, socks4:// or "
                         "socks4a://HOST:PORT")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    return url


def proxy_for(target_url: str, configured: str | None) -> str | None:
    """The proxy for requests to target_url: the setting, else the standard environment
    variables (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, honouring NO_PROXY), else None."""
    if configured:
        return configured
    parts = urlsplit(target_url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    found = urllib.request.getproxies()
    url = found.get(parts.scheme) or found.get("all")
    return url if url and urlsplit(url).scheme in PROXY_SCHEMES else None


class AiohttpRequest(BaseRequest):
    """A BaseRequest with one aiohttp ClientSession and a bounded connection pool."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        # For /healthz: when the Bot API last answered, and when a request last failed.
        self.last_answer_at: float | None = None
        self.last_failure_at: float | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is not None and not self._session.closed:
            return
        # Made now, not at import as aiohttp's own: SSL_CERT_FILE / SSL_CERT_DIR set for the
        # process (a private CA, e.g. an https:// proxy's) apply. It reads files: a thread.
        context = await asyncio.to_thread(ssl.create_default_context)
        if self._session is None or self._session.closed:  # not opened meanwhile
            connector: aiohttp.BaseConnector
            proxy = self._proxy or ""
            scheme = urlsplit(proxy).scheme
            if scheme.startswith("socks"):
                connector = ProxyConnector.from_url(
                    REMOTE_DNS.get(scheme, scheme) + proxy[len(scheme):],
                    rdns=scheme in REMOTE_DNS,
                    limit=self._pool_size, limit_per_host=0, ssl=context,
                )
            else:
                connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0,
                                                 ssl=context)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; returns the status code and the raw body."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = write_timeout if not isinstance(write_timeout, DefaultValue) else (
            self._media_write_timeout if files else self._write_timeout
        )
        # aiohttp has no write timeout: sending the body is bounded by the read timeout's
        # budget plus the write timeout, and waiting for a pooled connection by the pool's.
        timeout = aiohttp.ClientTimeout(
            total=None if read is None or write is None else read + write + (connect or 0),
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if fields and not files:  # encoded here: aiohttp's FormData costs more per send
            body = urlencode(fields).encode()
            headers = FORM_HEADERS
        elif files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in files.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            body = form
        http_proxy = self._proxy if self._proxy and self._proxy.startswith("http") else None
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=http_proxy
            ) as response:
                answer = response.status, await response.read()
        except TimeoutError as err:
            self.last_failure_at = time.monotonic()
            raise TimedOut from err
        except (aiohttp.ClientError, ProxyError, OSError) as err:  # OSError: socks connect
            self.last_failure_at = time.monotonic()
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        self.last_answer_at = time.monotonic()
        return answer


def bot_api_request(api_base_url: str, proxy_url: str | None, pool_size: int) -> AiohttpRequest:
    """The transport every Bot API client of the bot uses (sends, polling, files, checks)."""
    return AiohttpRequest(
        connection_pool_size=pool_size, proxy=proxy_for(api_base_url, proxy_url)
    )
