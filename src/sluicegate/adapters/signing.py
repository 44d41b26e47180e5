"""Ed25519 signing keys for audit checkpoints, kept in a PEM file outside the database.

Keeping the private key out of the database means that someone who can rewrite the audit tables
cannot also re-sign the checkpoints. The public key is stored in the database too, and can be
exported (``sluice audit public-key``) as the trust anchor for offline verification.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from sluicegate.domain.audit.chain import Checkpoint

__all__ = ["Ed25519Signer", "Ed25519Verifier", "key_id_of"]


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Ed25519Signer:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.key_id = key_id_of(private.public_key())

    @classmethod
    def generate(cls, path: Path) -> Ed25519Signer:
        """Create a new key at ``path`` (mode 0600); refuses to overwrite an existing file."""
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return cls(private)

    @classmethod
    def load(cls, path: Path) -> Ed25519Signer:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(key)

    def sign(self, payload: bytes) -> str:
        return self._private.sign(payload).hex()

    def public_key_pem(self) -> str:
        return (
            self._private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def __repr__(self) -> str:
        return f"Ed25519Signer(key_id={self.key_id!r})"


class Ed25519Verifier:
    """Checks checkpoint signatures against one or more trusted public keys."""

    def __init__(self, public_pems: list[str]) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for pem in public_pems:
            key = serialization.load_pem_public_key(pem.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 public key")
            self._keys[key_id_of(key)] = key

    def __call__(self, checkpoint: Checkpoint) -> bool:
        key = self._keys.get(checkpoint.key_id)
        if key is None:
            return False
        try:
            key.verify(bytes.fromhex(checkpoint.signature), checkpoint.payload())
        except (InvalidSignature, ValueError):
            return False
        return True
