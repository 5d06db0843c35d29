"""The project's own file store (issue 19, "keep the evidence"): the stored_files rows
(`records`), the two backends (`stores`) and who may see a file (`access`). Every place that
records a Telegram file calls `remember_file` in its transaction; reminders/files.py downloads
them."""

from __future__ import annotations

from storage.files.access import (
    BranchFile,
    branch_files,
    kept_copy,
    may_see,
    owners,
    visible_file,
)
from storage.files.records import (
    MAX_ATTEMPTS,
    TELEGRAM_DOWNLOAD_LIMIT,
    Claimed,
    any_due_now,
    claim_due,
    counts,
    mark_given_up,
    mark_retry,
    mark_stored,
    next_due,
    on_new_files,
    remember_file,
)
from storage.files.stores import (
    DATABASE,
    DIRECTORY,
    SHA256,
    STORE_KINDS,
    DatabaseStore,
    DirectoryStore,
    FileStore,
    default_file_dir,
    open_store,
    path_in,
    sha256_of,
)

__all__ = [
    "DATABASE",
    "DIRECTORY",
    "MAX_ATTEMPTS",
    "SHA256",
    "STORE_KINDS",
    "TELEGRAM_DOWNLOAD_LIMIT",
    "BranchFile",
    "Claimed",
    "DatabaseStore",
    "DirectoryStore",
    "FileStore",
    "any_due_now",
    "branch_files",
    "claim_due",
    "counts",
    "default_file_dir",
    "kept_copy",
    "mark_given_up",
    "mark_retry",
    "mark_stored",
    "may_see",
    "next_due",
    "on_new_files",
    "open_store",
    "owners",
    "path_in",
    "remember_file",
    "sha256_of",
    "visible_file",
]
