"""Channel adapters: each sends one rendered message to one target, or raises :class:`DeliveryError`.

Adapters hold no state about deliveries (the outbox does: attempts, backoff, rate limits), open their own
connection per message and time out, so a hung server costs one attempt, never the consumer.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from bridgefund.config import Settings


class DeliveryError(Exception):
    """The channel did not take the message (the outbox tries again later, up to its limit)."""


class ChannelAdapter(Protocol):
    def send(self, target: str, title: str, text: str) -> None:
        """Send ``title`` / ``text`` to ``target`` or raise :class:`DeliveryError`."""


@dataclass(frozen=True)
class EmailChannel:
    """Plain-text UTF-8 e-mail over SMTP (``smtplib``); a 4xx/5xx answer or a lost connection is a DeliveryError."""

    host: str
    port: int = 25
    sender: str = "bridgefund@localhost"
    timeout: float = 10.0

    def send(self, target: str, title: str, text: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.sender, target, title
        msg["Date"], msg["Message-ID"] = formatdate(localtime=False), make_msgid(domain="bridgefund")
        msg.set_content(text, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {_first(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}") from exc


@dataclass(frozen=True)
class WeComChannel:
    """A WeCom group robot (企业微信群机器人): ``POST <webhook>`` with ``{"msgtype": "text", …}``; the robot answers
    ``{"errcode": 0}`` when it took the message (45009: over its 20 messages a minute)."""

    timeout: float = 10.0

    def send(self, target: str, title: str, text: str) -> None:
        body = json.dumps({"msgtype": "text", "text": {"content": f"{title}\n{text}"[:2000]}},
                          ensure_ascii=False).encode()
        request = urllib.request.Request(target, data=body, method="POST",  # noqa: S310 - the prefix is checked
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                answer = json.loads(resp.read(65536) or b"{}")
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"WeCom HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DeliveryError(f"WeCom: {exc}") from exc
        if not isinstance(answer, dict) or answer.get("errcode") != 0:
            errcode = answer.get("errcode") if isinstance(answer, dict) else None
            errmsg = answer.get("errmsg") if isinstance(answer, dict) else None
            raise DeliveryError(f"WeCom errcode {errcode}: {errmsg}")


class SmsProvider(Protocol):
    """What an SMS gateway adapter (Aliyun 短信服务, Tencent Cloud SMS) implements: send a pre-approved template
    with its parameters to a mainland mobile number. None ships: a deployment that wants SMS provides one."""

    def send_template(self, phone: str, template: str, params: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class SmsChannel:
    """SMS through a provider: the title goes as the template parameter (SMS templates must be approved)."""

    provider: SmsProvider
    template: str

    def send(self, target: str, title: str, text: str) -> None:
        try:
            self.provider.send_template(target, self.template, {"title": title[:30]})
        except DeliveryError:
            raise
        except Exception as exc:
            raise DeliveryError(f"SMS: {exc}") from exc


def channels_from(settings: Settings, sms: SmsChannel | None = None) -> dict[str, ChannelAdapter]:
    """The channels this deployment can send on (e-mail only with an SMTP host; SMS only with a provider)."""
    out: dict[str, ChannelAdapter] = {"wecom": WeComChannel()}
    if settings.smtp_host:
        out["email"] = EmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
    if sms is not None:
        out["sms"] = sms
    return out


def _text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:300]


def _first(recipients: dict) -> str:
    for addr, (code, msg) in recipients.items():
        return f"{addr} ({code} {_text(msg)})"
    return "?"
