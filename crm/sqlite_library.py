"""The SQLite library's own settings: its memory statistics switched off.

SQLite keeps statistics of its memory use by default (``SQLITE_DEFAULT_MEMSTATUS=1``, as
Debian's library is built), and takes one mutex, shared by every connection of the process,
around each allocation to keep them. A statement that allocates per row — a ``GROUP BY`` with
aggregates, ``count(DISTINCT …)``, a sorter — then waits for the statement running on another
connection: the monitor's reach statement of the benchmark region, split in two halves on two
connections, took 437 ms with the statistics against 173 ms without (each half alone: 185 and
170 ms). SQLite recommends building without them (`Recommended Compile-time Options
<https://sqlite.org/compile.html#default_memstatus>`_); Python's ``sqlite3`` module has no
``sqlite3_config()``, so :func:`without_memory_statistics` calls it in the library that module
uses, through ctypes.

``sqlite3_config()`` only works while the library is not initialised, and Python initialises it
on import: the library is shut down first, which is only safe while no connection or other
SQLite resource exists. The memory statistics themselves say so (nothing allocated); if
anything is, the settings stay as they are (the figures are the same, only slower).
"""
from __future__ import annotations

import ctypes
import sqlite3
import sys

#: ``SQLITE_CONFIG_MEMSTATUS`` (sqlite3.h).
_CONFIG_MEMSTATUS = 9
#: Whether this process switched them off (once is enough: the setting is the library's).
_switched_off = False


def _library():
    """The SQLite library Python's ``sqlite3`` module uses (its symbols are found through the
    module's own extension), or ``None`` where that cannot be told."""
    import _sqlite3
    path = getattr(_sqlite3, "__file__", None)
    if path is None or not sys.platform.startswith("linux"):
        # (Elsewhere the module may be built in, and a variadic call through ctypes is not
        # the platform's calling convention everywhere, e.g. Apple's arm64.)
        return None
    library = ctypes.CDLL(path)
    library.sqlite3_memory_used.restype = ctypes.c_int64
    library.sqlite3_libversion.restype = ctypes.c_char_p
    if library.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        return None
    return library


def without_memory_statistics() -> bool:
    """Switch SQLite's memory statistics off for this process (see the module). True when
    they are off."""
    global _switched_off
    if _switched_off:
        return True
    library = _library()
    if library is None or library.sqlite3_memory_used() != 0:
        return False
    if library.sqlite3_shutdown() != 0:
        return False
    configured = library.sqlite3_config(ctypes.c_int(_CONFIG_MEMSTATUS), ctypes.c_int(0)) == 0
    library.sqlite3_initialize()
    _switched_off = configured
    return configured


def memory_statistics_kept() -> bool:
    """Whether SQLite keeps memory statistics in this process: a connection that did some work
    shows memory in use only then."""
    library = _library()
    if library is None:
        return True
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("SELECT 1").fetchall()
        return library.sqlite3_memory_used() > 0
    finally:
        connection.close()
