"""Uploaded import files kept between the wizard's steps: in the instance folder under a random
id (never in the session cookie), with a small JSON file of what was chosen so far. Only the
user who uploaded a file can reach it; files older than a day are removed."""
import json
import os
import re
import secrets
import shutil
import time
from pathlib import Path

MAX_AGE_SECONDS = 24 * 3600
#: A run marker older than this was left by a process that died (an import takes seconds).
STALE_RUN_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class Upload:
    def __init__(self, folder: Path):
        self.folder = folder
        self.token = folder.name

    @property
    def data_path(self) -> Path:
        return self.folder / "file"

    def data(self) -> bytes:
        return self.data_path.read_bytes()

    def meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))

    def save_meta(self, meta: dict) -> None:
        tmp = self.folder / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.folder / "meta.json")

    def update(self, **values) -> dict:
        meta = {**self.meta(), **values}
        self.save_meta(meta)
        return meta

    def claim(self) -> bool:
        """Take the right to run this import (False: it is running in another request, e.g. a
        double click); :meth:`release` gives it back."""
        marker = self.folder / "running"
        try:
            if time.time() - marker.stat().st_mtime > STALE_RUN_SECONDS:
                marker.unlink(missing_ok=True)  # left behind by a process that died
        except FileNotFoundError:
            pass
        try:
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    def release(self) -> None:
        (self.folder / "running").unlink(missing_ok=True)

    def drop_file(self) -> None:
        self.data_path.unlink(missing_ok=True)


def root(instance_path) -> Path:
    return Path(instance_path) / "imports"


def create(instance_path, data: bytes, meta: dict) -> Upload:
    base = root(instance_path)
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    clean_up(base)
    folder = base / secrets.token_urlsafe(24)
    folder.mkdir(mode=0o700)
    upload = Upload(folder)
    fd = os.open(upload.data_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    upload.save_meta({**meta, "created": time.time()})
    return upload


def find(instance_path, token: str, user_id: int) -> Upload | None:
    """The upload with this id, if it exists and is the user's."""
    if not _TOKEN.match(token or ""):
        return None
    folder = root(instance_path) / token
    try:
        upload = Upload(folder)
        meta = upload.meta()
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or time.time() - meta.get("created", 0) > MAX_AGE_SECONDS:
        return None
    return upload


def clean_up(base: Path) -> None:
    now = time.time()
    for folder in base.iterdir():
        try:
            if now - folder.stat().st_mtime > MAX_AGE_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
