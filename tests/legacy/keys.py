"""The cipher key of ``store_v1_cipher.sqlite``: a TEST-ONLY key.

It was made for this fixture with ``eventsourcing.cipher.AESCipher.create_key(16)``
and protects nothing but made-up test data. Never configure it anywhere real;
a real deployment's ``QA_CIPHER_KEY`` lives in its secret store, not in git.
"""

from __future__ import annotations

__all__ = ["LEGACY_CIPHER_KEY"]

#: base64 AES-128 key (test-only, committed on purpose)
LEGACY_CIPHER_KEY = "RZnO9b1cjSX9eqJMOpIxyQ=="
