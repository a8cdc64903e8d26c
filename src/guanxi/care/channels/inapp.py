"""The in-app inbox: the message is kept in the outbox and shown on the member page (care.member_inbox),
so "sending" it is only a matter of marking it sent; nothing leaves Guanxi."""

from __future__ import annotations

from guanxi.care.channels import Envelope


class InAppChannel:
    name = "inapp"

    def send(self, env: Envelope) -> str:
        return f"inapp:{env.message_id}"

    def close(self) -> None:
        pass
