"""Secret-key handling: generated once per instance, never hard-coded."""

import os
import secrets
from pathlib import Path


def load_or_create_secret_key(instance_path: str) -> str:
    """Return the key stored in instance/secret_key, creating it (mode 0600) on first start."""
    path = Path(instance_path) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        raise RuntimeError(f"{path} is empty: delete it to have a new key generated") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key
