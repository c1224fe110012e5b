"""The SQLite database (DESIGN.md section 6): opening, migrations, write transactions, and one
repository module per table.

- `database`: `open_db` (pragmas, one integrity check per process and file, migrations),
  `write` (one `BEGIN IMMEDIATE` transaction per user action), `audit`, `now_iso`, `dumps`.
- `migrations`: the schema, as numbered sqlite-utils migrations.
- `connections`: the connections table: rows <-> `Connection`, add/edit/replace keys/delete,
  status, and just-in-time credential loading.
- `key_fingerprints`: keyed fingerprints of the saved API keys and the connections sharing one.

Import from the concrete module, e.g. `from backfuture_core.storage.database import open_db`.
"""
