"""Built-in channel ``email``: notifications through an SMTP server.

Settings (environment, or ``[plugins.email]`` in the config file without the prefix):

- ``MENTORMATCH_SMTP_URL``: ``smtp://[user@]host[:port]`` (STARTTLS whenever the server
  offers it; add ``?starttls=require`` to refuse a server that does not) or
  ``smtps://[user@]host[:port]`` (TLS from the first byte, port 465 by default).
- ``MENTORMATCH_SMTP_PASSWORD``, else the OS keyring (service ``mentormatch``, user
  ``smtp:<user>@<host>``) — never the URL or the config file.
- ``MENTORMATCH_SMTP_FROM``: the From address (default ``MentorMatch <mentormatch@host>``).
- ``MENTORMATCH_SMTP_CA_FILE``: a CA bundle for a server with a private certificate.
- ``MENTORMATCH_SMTP_TIMEOUT``: seconds (default 20).

Each e-mail is multipart (plain text and HTML). Its ``Message-ID`` is derived from the
delivery's idempotency key, so a retry after a crash carries the same id (and a receiving
system that deduplicates on it drops the copy); ``In-Reply-To``/``References`` name the
thread, so a conversation stays one thread in the mail client. Digests (hourly, daily) and
quiet hours are scheduled by the outbox from the person's settings in their own time zone;
this channel accepts digests (``digest = True``).

``smtplib`` and ``ssl`` are imported when a connection is made, not when the plugin loads.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import logging
import os
import re
import threading
from dataclasses import dataclass
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, parseaddr
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from mentormatch_desktop.plugin.api import (
    Attachment,
    Delivery,
    DeliveryResult,
    PluginHost,
    hookimpl,
)
from mentormatch_plugins.messaging.settings import ConfigSource, no_config, secret, setting

if TYPE_CHECKING:
    import smtplib

log = logging.getLogger(__name__)

SMTP_URL_ENV = "MENTORMATCH_SMTP_URL"
#: Every environment variable :func:`smtp_settings` reads.
_SETTINGS_ENV = (
    SMTP_URL_ENV,
    "MENTORMATCH_SMTP_PASSWORD",
    "MENTORMATCH_SMTP_FROM",
    "MENTORMATCH_SMTP_CA_FILE",
    "MENTORMATCH_SMTP_TIMEOUT",
)
# Matched in HTML-escaped text: a URL ends at whitespace or an escaped < > " '.
_URL_PATTERN = re.compile(r"https?://(?:(?!&lt;|&gt;|&quot;|&#x27;)[^\s<>\"'])+")


class SmtpConfigError(ValueError):
    """The SMTP settings cannot work; the message names the setting."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    implicit_tls: bool
    require_starttls: bool
    username: str | None
    password: str | None
    sender: str
    ca_file: str | None
    timeout: float

    # Parsed once per settings object, not once per e-mail (parseaddr is a small parser).
    @cached_property
    def from_address(self) -> str:
        """The bare address of ``sender``: the envelope sender."""
        return parseaddr(self.sender)[1]

    @cached_property
    def from_header(self) -> str:
        """``sender`` as a From header (a name beyond ASCII RFC 2047-encoded)."""
        return _address(*parseaddr(self.sender))

    @cached_property
    def domain(self) -> str:
        """The right-hand side of Message-IDs: the sender's domain."""
        return self.from_address.rpartition("@")[2] or self.host


def smtp_settings(config: ConfigSource = no_config) -> SmtpSettings | None:
    """The SMTP settings from the config chain, or None when no server is configured."""
    url = setting(config, "smtp_url", SMTP_URL_ENV)
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise SmtpConfigError(f"{SMTP_URL_ENV}: use smtp://host:port or smtps://user@host:port")
    if not parts.hostname:
        raise SmtpConfigError(f"{SMTP_URL_ENV}: no host in {url!r}")
    if parts.password:
        raise SmtpConfigError(
            f"{SMTP_URL_ENV}: leave the password out of the URL; set MENTORMATCH_SMTP_PASSWORD "
            "or store it in the keyring"
        )
    implicit = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 25)
    except ValueError:
        raise SmtpConfigError(f"{SMTP_URL_ENV}: the port in {url!r} is not a number") from None
    query = parse_qs(parts.query)
    username = unquote(parts.username) if parts.username else None
    password = (
        secret("MENTORMATCH_SMTP_PASSWORD", f"smtp:{username}@{parts.hostname}")
        if username
        else None
    )
    try:
        timeout = float(setting(config, "timeout", "MENTORMATCH_SMTP_TIMEOUT", "20"))
    except ValueError:
        raise SmtpConfigError("MENTORMATCH_SMTP_TIMEOUT: a number of seconds") from None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        implicit_tls=implicit,
        require_starttls=query.get("starttls", [""])[0] == "require",
        username=username,
        password=password,
        sender=setting(config, "from", "MENTORMATCH_SMTP_FROM")
        or formataddr(("MentorMatch", f"mentormatch@{parts.hostname}")),
        ca_file=setting(config, "ca_file", "MENTORMATCH_SMTP_CA_FILE") or None,
        timeout=timeout,
    )


def message_id(idempotency_key: str, domain: str) -> str:
    """The Message-ID for a delivery: the same key always gives the same id."""
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


def thread_reference(thread_id: int, domain: str) -> str:
    """The id every e-mail of one thread refers to, so mail clients keep them together."""
    return f"<thread-{thread_id}@{domain}>"


def build_email(delivery: Delivery, settings: SmtpSettings) -> Message:
    """The multipart e-mail for one delivery (a single message or a digest).

    Built with the classic ``email.mime`` classes: the modern ``EmailMessage`` parses
    every header it is given again, which cost ~16 ms of CPU per e-mail on a busy
    machine, a seventh of that here; this was most of what one worker spent per e-mail.

    The MIME boundaries are set here rather than left to the generator: it would make a
    random one and compile a regular expression to check that no part contains it, a
    pattern never seen before each time, so never cached (~0.2 ms per e-mail). Every part
    is base64 (UTF-8 text, attachments), whose lines never start with ``-``, so no part
    can contain a delimiter line ``--<boundary>`` whatever the boundary.
    """
    mark = hashlib.sha256(delivery.idempotency_key.encode()).hexdigest()[:24]
    body = MIMEMultipart("alternative", boundary=f"=_alt_{mark}")
    body.attach(MIMEText(_text(delivery), "plain", "utf-8"))
    body.attach(MIMEText(_html(delivery), "html", "utf-8"))
    files = [a for item in delivery.items for a in item.attachments]
    # A session's invitation rides along as a file calendar apps offer to add.
    msg = _with_attachments(body, files, f"=_mix_{mark}") if files else body
    msg["Subject"] = _header(delivery.subject)
    msg["From"] = settings.from_header
    msg["To"] = _address(delivery.recipient_name, delivery.recipient_address)
    msg["Date"] = format_datetime(delivery.items[-1].sent_at)
    msg["Message-ID"] = message_id(delivery.idempotency_key, settings.domain)
    if not delivery.is_digest:
        ref = thread_reference(delivery.thread_id, settings.domain)
        msg["In-Reply-To"] = ref
        msg["References"] = ref
    msg["X-MentorMatch-Delivery"] = delivery.idempotency_key
    if delivery.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{delivery.unsubscribe_url}>"
        if delivery.unsubscribe_url.startswith("https://"):
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg


def _with_attachments(body: Message, files: list[Attachment], boundary: str) -> Message:
    mixed = MIMEMultipart("mixed", boundary=boundary)
    mixed.attach(body)
    for a in files:
        main, _, rest = a.content_type.partition("/")
        subtype, *params = (p.strip() for p in rest.split(";"))
        part = MIMEBase(main, subtype, **dict(p.split("=", 1) for p in params if "=" in p))
        part.set_payload(a.data)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=a.filename)
        mixed.attach(part)
    return mixed


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _address(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8")


def _text(d: Delivery) -> str:
    parts = []
    for item in d.items:
        head = f"{item.sender_name} wrote"
        if d.is_digest or item.thread_subject:
            head += f" in “{item.thread_subject}”"
        parts.append(f"{head} ({item.sent_at:%Y-%m-%d %H:%M} UTC):\n\n{item.body}")
    text = "\n\n----\n\n".join(parts)
    if d.thread_url:
        text += f"\n\nOpen the conversation: {d.thread_url}"
    text += "\n\nReply in MentorMatch; replies to this e-mail are not read."
    if d.unsubscribe_url:
        text += f"\nStop these e-mails: {d.unsubscribe_url}"
    elif d.unsubscribe_token:
        text += f"\nStop these e-mails: mentormatch unsubscribe {d.unsubscribe_token}"
    return text + "\n"


def _linkify(text: str) -> str:
    escaped = html.escape(text)
    linked = _URL_PATTERN.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    return linked.replace("\n", "<br>\n")


def _html(d: Delivery) -> str:
    blocks = []
    for item in d.items:
        title = html.escape(item.sender_name)
        if d.is_digest or item.thread_subject:
            title += f" in “{html.escape(item.thread_subject)}”"
        blocks.append(
            f'<div style="margin:0 0 16px"><p style="color:#555;margin:0 0 4px">{title} · '
            f"{item.sent_at:%Y-%m-%d %H:%M} UTC</p><div>{_linkify(item.body)}</div></div>"
        )
    footer = []
    if d.thread_url:
        footer.append(f'<a href="{html.escape(d.thread_url)}">Open the conversation</a>')
    if d.unsubscribe_url:
        footer.append(f'<a href="{html.escape(d.unsubscribe_url)}">Stop these e-mails</a>')
    elif d.unsubscribe_token:
        footer.append(
            f"Stop these e-mails: <code>mentormatch unsubscribe "
            f"{html.escape(d.unsubscribe_token)}</code>"
        )
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        + "".join(blocks)
        + '<p style="color:#777;font-size:small">'
        + " · ".join(footer)
        + "</p></body></html>"
    )


class EmailChannel:
    """Sends deliveries over one SMTP connection, kept open between deliveries."""

    name = "email"
    label = "E-mail (SMTP)"
    digest = True

    def __init__(self, config: ConfigSource = no_config) -> None:
        self._config = config
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()
        self._settings: SmtpSettings | None = None
        # The inputs the last settings were resolved from, and those settings.
        self._resolved: tuple[object, SmtpSettings | None] | None = None

    def _current_settings(self) -> SmtpSettings | None:
        """The SMTP settings for this delivery; call with the lock held.

        Resolved in full (the keyring included) whenever no connection is open; while one
        is, the last settings are reused as long as their inputs — the environment
        variables and the config table, both cheap to read — are unchanged. Resolving
        them again for every e-mail was an eighth of a worker's time, and the password is
        only used when connecting anyway. A changed file or variable is still seen at the
        next e-mail (and a changed server reconnects, see :meth:`deliver`).
        """
        config = self._config()
        inputs = (tuple(os.environ.get(name) for name in _SETTINGS_ENV), config)
        if self._smtp is not None and self._resolved is not None and self._resolved[0] == inputs:
            return self._resolved[1]
        settings = smtp_settings(lambda: config)
        self._resolved = (inputs, settings)
        return settings

    def _connect(self, s: SmtpSettings) -> smtplib.SMTP:
        import smtplib
        import ssl

        context = ssl.create_default_context(cafile=s.ca_file)
        smtp: smtplib.SMTP
        if s.implicit_tls:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            elif s.require_starttls or s.username:
                smtp.quit()
                raise smtplib.SMTPNotSupportedError(
                    "the server does not offer STARTTLS; refusing to send "
                    + ("the password" if s.username else "mail")
                    + " in the clear"
                )
        if s.username:
            smtp.login(s.username, s.password or "")
        return smtp

    def close(self) -> None:
        import smtplib

        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(smtplib.SMTPException, OSError):
                    self._smtp.quit()
                self._smtp = None

    def deliver(self, delivery: Delivery) -> DeliveryResult:
        import smtplib

        try:
            with self._lock:
                settings = self._current_settings()
        except SmtpConfigError as exc:
            return DeliveryResult(ok=False, retry=True, detail=str(exc))
        if settings is None:
            return DeliveryResult(
                ok=False, retry=True, detail=f"no SMTP server configured (set {SMTP_URL_ENV})"
            )
        msg = build_email(delivery, settings)
        with self._lock:
            if settings != self._settings and self._smtp is not None:
                self._drop()
            self._settings = settings
            for reuse in (True, False):
                try:
                    if self._smtp is None:
                        self._smtp = self._connect(settings)
                    _send(self._smtp, msg, settings, delivery.recipient_address)
                    return DeliveryResult(ok=True, detail=msg["Message-ID"])
                except smtplib.SMTPServerDisconnected as exc:
                    # A kept connection the server closed meanwhile: reconnect once.
                    self._drop()
                    if not reuse:
                        return DeliveryResult(ok=False, retry=True, detail=f"SMTP: {exc}")
                except smtplib.SMTPRecipientsRefused as exc:
                    codes = [code for code, _ in exc.recipients.values()]
                    self._reset()
                    permanent = all(500 <= c < 600 for c in codes)
                    return DeliveryResult(
                        ok=False,
                        retry=not permanent,
                        detail=f"SMTP refused {delivery.recipient_address}: {exc.recipients}",
                    )
                except smtplib.SMTPResponseException as exc:
                    self._drop()
                    return DeliveryResult(
                        ok=False,
                        retry=True,
                        detail=f"SMTP {exc.smtp_code}: {_decode(exc.smtp_error)}",
                    )
                except (smtplib.SMTPException, OSError) as exc:
                    self._drop()
                    return DeliveryResult(
                        ok=False,
                        retry=True,
                        detail=f"SMTP {settings.host}:{settings.port}: {type(exc).__name__}: {exc}",
                    )
        return DeliveryResult(ok=False, retry=True, detail="SMTP: not sent")

    def _reset(self) -> None:
        import smtplib

        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
        self._smtp = None


class _WirePolicy(Compat32):
    """The classic policy, writing a header that needs no folding as it is.

    ``compat32`` runs every header through the ``Header`` folding machinery, even a short
    ASCII one it then writes unchanged: that was a third of flattening an e-mail. A header
    that is ASCII, one line and short enough is written directly (the same bytes: the
    test suite compares both ways); anything else still goes the classic way.
    """

    def _fold(self, name: str, value: object, sanitize: bool) -> str:
        if (
            type(value) is str
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[misc]


#: CRLF line ends: ``sendmail`` sends the bytes as they are.
_WIRE = _WirePolicy(linesep="\r\n", max_line_length=998)


def _send(smtp: smtplib.SMTP, msg: Message, settings: SmtpSettings, recipient: str) -> None:
    """Flatten once and send; addresses beyond ASCII go through ``send_message`` (SMTPUTF8)."""
    from_address = settings.from_address
    if from_address.isascii() and recipient.isascii():
        smtp.sendmail(from_address, [recipient], msg.as_bytes(policy=_WIRE))
    else:
        smtp.send_message(msg, from_address, [recipient])


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


@hookimpl
def register_messaging_channels(host: PluginHost) -> list[EmailChannel]:
    return [EmailChannel(lambda: host.plugin_config("email"))]


@hookimpl
def plugin_status(host: PluginHost) -> str | None:
    try:
        settings = smtp_settings(lambda: host.plugin_config("email"))
    except SmtpConfigError as exc:
        return f"misconfigured: {exc}"
    if settings is None:
        return f"no SMTP server configured (set {SMTP_URL_ENV}); e-mails wait in the outbox"
    scheme = "smtps" if settings.implicit_tls else "smtp"
    return f"sending through {scheme}://{settings.host}:{settings.port}"
