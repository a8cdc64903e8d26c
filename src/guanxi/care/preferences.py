"""The pages behind a message's unsubscribe link, in Chinese and English on one page (the link carries
no language and the reader is not signed in).

Opening the link only asks: mail scanners and link previews fetch every URL in a message, and a GET
that unsubscribed would opt people out who never clicked. The confirm button POSTs to the same URL,
which is also the RFC 8058 one-click target (List-Unsubscribe-Post) mail clients call directly.
Finer choices (per channel and purpose, service messages too) are on the member page's preference centre.
"""

from __future__ import annotations

import html

CHANNEL_NAMES = {"email": ("电子邮件", "e-mail"), "sms": ("短信", "SMS"), "wechat": ("微信", "WeChat"),
                 "push": ("推送", "push"), "any": ("所有渠道", "every channel")}

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>{title}</title></head>
<body><main><h1>{title}</h1>{content}<p><a href="{centre}" id="preference-centre">消息偏好设置 · Message preferences</a></p>
</main></body></html>"""


def _names(channel: str) -> tuple[str, str]:
    return CHANNEL_NAMES.get(channel, (channel, channel))


def confirm_page(action: str, channel: str, centre: str) -> str:
    zh, en = _names(channel)
    content = (f'<p lang="zh-CN">确认后，您将不再通过{html.escape(zh)}收到营销消息。订单和服务通知不受影响。</p>'
               f'<p lang="en">You will get no more offers or news by {html.escape(en)}. Order and service '
               f'messages still reach you.</p>'
               f'<form method="post" action="{html.escape(action)}">'
               f'<button type="submit" id="confirm-unsubscribe">确认退订 · Unsubscribe</button></form>')
    return _PAGE.format(title="退订营销消息 · Unsubscribe", content=content, centre=html.escape(centre))


def done_page(channel: str, centre: str) -> str:
    zh, en = _names(channel)
    content = (f'<p lang="zh-CN" role="status">已退订：您将不再通过{html.escape(zh)}收到营销消息。</p>'
               f'<p lang="en">Unsubscribed: you will get no more marketing messages by {html.escape(en)}.</p>')
    return _PAGE.format(title="已退订 · Unsubscribed", content=content, centre=html.escape(centre))
