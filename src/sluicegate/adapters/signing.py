"""Ed25519 signing keys for audit checkpoints, and the trust anchor that verification reads.

Keeping the private key out of the database means that someone who can rewrite the audit tables
cannot also re-sign the checkpoints. Verification trusts only keys pinned outside the database
(the trusted-keys file, or ``--public-key``) and keys those endorse: a rotation is a statement
signed by the previous key, stored with the new key in ``audit_keys``. A key that is in the
database and is not endorsed that way is reported as tampering, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from sluicegate.domain.audit.chain import Checkpoint
from sluicegate.domain.canonical import canonical_json
from sluicegate.service.audit.ports import KeyRecord

__all__ = [
    "ROTATION_TYPE",
    "Ed25519Signer",
    "Ed25519Verifier",
    "KeyFileSigner",
    "key_id_of",
    "read_public_keys",
    "rotation_statement",
    "write_private_key",
    "write_public_keys",
]

ROTATION_TYPE = "sluicegate.audit.key-rotation/v1"

_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----\s*", re.DOTALL)


def read_public_keys(path: Path) -> list[str]:
    """Every PEM public key in ``path`` (a file may pin several)."""
    text = path.read_text(encoding="utf-8")
    pems = [m.group(0).strip() + "\n" for m in _PEM_BLOCK.finditer(text)]
    if not pems:
        raise ValueError(f"{path} holds no PEM public key")
    return pems


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 (its directory 0700 when created); never overwrite."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_public_keys(path: Path, pems: Sequence[str]) -> None:
    """Pin ``pems`` in a new trusted-keys file (mode 0600)."""
    _write_new(path, "".join(pems).encode())


def write_private_key(path: Path, private: Ed25519PrivateKey) -> None:
    _write_new(
        path,
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def rotation_statement(
    previous_key_id: str, key_id: str, public_pem: str, tree_size: int, ts: str
) -> str:
    """What the previous key signs to hand over to the next one (canonical JSON).

    ``tree_size`` is the log size at the hand-over: checkpoints beyond it signed by the previous
    key are not trusted, so a retired (perhaps stolen) key cannot sign new heads.
    """
    return canonical_json(
        {
            "type": ROTATION_TYPE,
            "previous_key_id": previous_key_id,
            "key_id": key_id,
            "public_key": public_pem,
            "tree_size": tree_size,
            "ts": ts,
        }
    )


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
        write_private_key(path, private)
        return cls(private)

    @classmethod
    def new(cls) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate())

    def private_pem(self) -> bytes:
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

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


class KeyFileSigner:
    """The signing key in a PEM file, re-read when the file is replaced (``audit rotate-key``),
    so running servers sign with the new key as soon as the rotation commits."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[int, int, int] | None = None
        self._signer = self._current()

    def _current(self) -> Ed25519Signer:
        st = os.stat(self._path)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._signer = Ed25519Signer.load(self._path)
            self._stamp = stamp
        return self._signer

    @property
    def path(self) -> Path:
        return self._path

    @property
    def key_id(self) -> str:
        return self._current().key_id

    @key_id.setter
    def key_id(self, value: str) -> None:  # noqa: ARG002 - read-only, but the Signer port declares a plain attribute
        raise AttributeError("the key id follows the key file")

    def sign(self, payload: bytes) -> str:
        return self._current().sign(payload)

    def public_key_pem(self) -> str:
        return self._current().public_key_pem()

    def __repr__(self) -> str:
        return f"KeyFileSigner({str(self._path)!r}, key_id={self.key_id!r})"


def _load_public(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def _verify(key: Ed25519PublicKey, signature: str, payload: bytes) -> bool:
    try:
        key.verify(bytes.fromhex(signature), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


class Ed25519Verifier:
    """Checks checkpoint signatures against the pinned public keys and the keys they endorse.

    ``admit`` reads the key records of the log (``audit_keys`` or an export's key lines) and
    trusts a record only through a rotation statement signed by a key already trusted; it
    returns the problem for the first record that is neither pinned nor endorsed.
    """

    def __init__(self, public_pems: Sequence[str]) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        # key id -> the log size after which its checkpoints are no longer trusted
        self._retired_after: dict[str, int] = {}
        for pem in public_pems:
            key = _load_public(pem)
            self._keys[key_id_of(key)] = key

    @property
    def pinned(self) -> frozenset[str]:
        return frozenset(self._keys)

    def admit(self, records: Sequence[KeyRecord]) -> str | None:
        pending = list(records)
        progress = True
        while pending and progress:
            progress = False
            for record in list(pending):
                if record.key_id in self._keys:
                    problem = self._check_pinned(record)
                    if problem:
                        return problem
                    pending.remove(record)
                    progress = True
                elif record.endorsed_by in self._keys and self._endorse(record):
                    pending.remove(record)
                    progress = True
        for record in pending:
            if record.endorsed_by is None:
                return (
                    f"audit key {record.key_id} is registered in the database but is not pinned "
                    "in the trusted keys, and no trusted key endorses it (a key inserted into "
                    "the database?)"
                )
            return (
                f"audit key {record.key_id}: its rotation statement does not verify with the "
                f"key it names ({record.endorsed_by})"
            )
        return None

    def _check_pinned(self, record: KeyRecord) -> str | None:
        try:
            same = key_id_of(_load_public(record.public_key)) == record.key_id
        except ValueError:
            same = False
        if not same:
            return f"audit key {record.key_id}: the public key stored for it is not that key"
        if record.endorsed_by is not None and record.endorsed_by in self._keys:
            self._endorse(record)
        return None

    def _endorse(self, record: KeyRecord) -> bool:
        if record.statement is None or record.signature is None or record.endorsed_by is None:
            return False
        previous = self._keys[record.endorsed_by]
        if not _verify(previous, record.signature, record.statement.encode()):
            return False
        try:
            doc: Any = json.loads(record.statement)
            key = _load_public(record.public_key)
        except ValueError:
            return False
        if not (
            isinstance(doc, dict)
            and doc.get("type") == ROTATION_TYPE
            and doc.get("previous_key_id") == record.endorsed_by
            and doc.get("key_id") == record.key_id == key_id_of(key)
            and doc.get("public_key") == record.public_key
            and isinstance(doc.get("tree_size"), int)
        ):
            return False
        self._keys.setdefault(record.key_id, key)
        cutoff = int(doc["tree_size"])
        known = self._retired_after.get(record.endorsed_by)
        self._retired_after[record.endorsed_by] = cutoff if known is None else min(known, cutoff)
        return True

    def __call__(self, checkpoint: Checkpoint) -> bool:
        key = self._keys.get(checkpoint.key_id)
        if key is None:
            return False
        retired = self._retired_after.get(checkpoint.key_id)
        if retired is not None and checkpoint.tree_size > retired:
            return False
        return _verify(key, checkpoint.signature, checkpoint.payload())
