"""Personal data at rest: AES-GCM with a key id (for rotation) and an HMAC blind index."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guanxi.privacy.secrets import Secrets


class PiiCipher:
    """Encrypts text as `kid.base64(nonce|ciphertext)`; the kid names the data key."""

    def __init__(self, secrets: Secrets, reload: Callable[[], Secrets] | None = None):
        self._reload = reload
        self._load(secrets)

    def _load(self, secrets: Secrets) -> None:
        self._keys = {kid: AESGCM(k) for kid, k in secrets.pii_keys.items()}
        self.active_key_id = secrets.active_key_id
        self._index_key = secrets.blind_index_key

    def _key(self, kid: str) -> AESGCM:
        # A key rotated in by another process (`guanxi keys rotate`): read the secrets again.
        if kid not in self._keys and self._reload is not None:
            self._load(self._reload())
        return self._keys[kid]

    def encrypt(self, plaintext: str | None, *, context: str = "") -> str | None:
        if plaintext is None:
            return None
        nonce = os.urandom(12)
        sealed = self._keys[self.active_key_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self.active_key_id}.{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str | None, *, context: str = "") -> str | None:
        if token is None:
            return None
        kid, _, body = token.partition(".")
        raw = base64.b64decode(body)
        return self._key(kid).decrypt(raw[:12], raw[12:], context.encode()).decode()

    @staticmethod
    def key_id_of(token: str | None) -> str | None:
        return None if token is None else token.partition(".")[0]

    def blind_index(self, kind: str, normalised: str) -> str:
        """A keyed hash of a normalised value: equality search without the plaintext."""
        mac = hmac.new(self._index_key, f"{kind}\x00{normalised}".encode(), hashlib.sha256)
        return mac.hexdigest()
