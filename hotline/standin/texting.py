"""A text to one of the app's numbers, as Twilio delivers it: a signed POST to the number's
"A message comes in" URL, and the Messaging TwiML answer's <Message>s sent back to the
sender from that number (kept in the switchboard's messages like any other text)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from hotline.standin.calls import Message
from hotline.standin.requests import API_VERSION

if TYPE_CHECKING:
    from hotline.standin.switchboard import Switchboard

# What Messaging TwiML's <Message> may carry (twilio-python's MessagingResponse.message).
MESSAGE_ATTRIBUTES = frozenset({"to", "from", "action", "method", "statusCallback"})


def incoming_text(board: Switchboard, from_: str, to: str, body: str, url: str) -> list[str]:
    """Deliver the text to the app; the replies it answered with (each also in
    `board.messages`). An error answer is recorded in `board.errors`, as for a call."""
    sid = board.sids.new("SM")
    params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid,
              "AccountSid": board.account_sid, "From": from_, "To": to, "Body": body,
              "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
              "ApiVersion": API_VERSION}
    board.log(None, f"SMS {from_} -> {to}: {body}", from_, to)
    status, answer = board.request(None, url, params)
    if not 200 <= status < 300:
        return []
    try:
        replies = read_replies(answer)
    except ValueError as exc:
        board.error(None, url, status, f"bad Messaging TwiML: {exc}")
        return []
    for reply in replies:
        message = Message(board.sids.new("SM"), from_, to, reply, board.now())
        board.messages.append(message)
        board.log(None, f"SMS {to} -> {from_}: {reply}", to, from_)
    return replies


def read_replies(xml: str) -> list[str]:
    """The bodies of a Messaging TwiML answer's <Message>s; ValueError if it is not one."""
    try:
        root = ET.fromstring(xml)  # noqa: S314 - the app's own answer, under test
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from exc
    if root.tag != "Response":
        raise ValueError(f"root is <{root.tag}>, not <Response>")
    replies = []
    for element in root:
        if element.tag != "Message":
            raise ValueError(f"<{element.tag}> is not Messaging TwiML")
        unknown = set(element.attrib) - MESSAGE_ATTRIBUTES
        if unknown:
            raise ValueError(f"<Message> has unknown attributes {sorted(unknown)}")
        text = "".join(element.itertext()).strip()
        if not text:
            raise ValueError("<Message> is empty")
        replies.append(text)
    return replies
