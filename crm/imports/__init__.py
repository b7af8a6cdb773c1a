"""Importing companies, contact persons and interventions from CSV and Excel (.xlsx) files.

* :mod:`.readers` — the file as a table of text cells (separator and encoding detected);
* :mod:`.columns` — which fields each kind has, and recognising Dutch and English headers;
* :mod:`.validate` — every row checked in pure Python, errors naming row, column and value;
* :mod:`.write` — checked against the database, then batched Core inserts and updates;
* :mod:`.operation` — :func:`import_file`, the operation the browser and the CLI share.
"""
from .columns import KINDS, auto_mapping, fields_of
from .operation import MODES, ImportResult, MappingProblem, check_table, import_file
from .readers import FileProblem, Table, read_table
from .validate import RowError

__all__ = ["KINDS", "MODES", "FileProblem", "ImportResult", "MappingProblem", "RowError",
           "Table", "auto_mapping", "check_table", "fields_of", "import_file", "read_table"]
