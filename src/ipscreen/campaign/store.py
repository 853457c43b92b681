"""The campaign store: one SQLite file (WAL mode) in the campaign folder.

Tables
- ``compounds``: one row per compound of the space (id, summary columns, starting
  structure as compact JSON).
- ``stages``: one row per completed stage run (stage, settings hash, settings,
  ipscreen and tool versions, time).
- ``results``: one row per (subject, stage, settings hash) with status, values
  (JSON) and failure reason. A subject is a compound id or a reference phase id
  (``ref:Li2O``).

Every write is one transaction: an interrupted write leaves nothing behind.
Only the campaign driver writes; workers return results.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ipscreen.errors import StoreError

STORE_FILE = "ipscreen.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS compounds (
    id TEXT PRIMARY KEY,
    formula TEXT NOT NULL,
    reduced_formula TEXT NOT NULL,
    space_group TEXT NOT NULL,
    space_group_number INTEGER NOT NULL,
    parent TEXT NOT NULL,
    x_elements TEXT NOT NULL,
    z_elements TEXT NOT NULL,
    x_fraction REAL NOT NULL,
    z_fraction REAL NOT NULL,
    size INTEGER NOT NULL,
    n_atoms INTEGER NOT NULL,
    tolerance_factor REAL NOT NULL,
    lattice_constant REAL NOT NULL,
    structure TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stages (
    stage TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    settings TEXT NOT NULL,
    versions TEXT NOT NULL,
    n_records INTEGER NOT NULL,
    completed_at REAL NOT NULL,
    PRIMARY KEY (stage, settings_hash)
);
CREATE TABLE IF NOT EXISTS results (
    compound_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT,
    reason TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (compound_id, stage, settings_hash)
);
CREATE TABLE IF NOT EXISTS task_results (
    stage TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    task TEXT NOT NULL,
    digest TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (stage, settings_hash, task)
);
"""

COMPOUND_COLUMNS = (
    "id", "formula", "reduced_formula", "space_group", "space_group_number", "parent",
    "x_elements", "z_elements", "x_fraction", "z_fraction", "size", "n_atoms",
    "tolerance_factor", "lattice_constant",
)


class Store:
    """SQLite store of one campaign folder."""

    def __init__(self, folder: Path | str, create: bool = True):
        self.folder = Path(folder)
        self.path = self.folder / STORE_FILE
        self._atomic = False
        if not self.path.exists() and not create:
            raise StoreError(f"no campaign store at {self.path}: run `ipscreen run --campaign {self.folder}` first")
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=30.0)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.executescript(_SCHEMA)
            with self.conn:
                self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable ipscreen store: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def atomic(self):
        """One transaction around several writes (e.g. a stage's results and its completion): all or none of
        them are stored, whenever the process dies."""
        if self._atomic:
            yield
            return
        self._atomic = True
        try:
            with self.conn:
                yield
        finally:
            self._atomic = False

    def _tx(self):
        """The transaction of one write: its own, or the enclosing `atomic()` one."""
        return nullcontext() if self._atomic else self.conn

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # stages -------------------------------------------------------------
    def latest_hash(self, stage: str) -> str | None:
        """Settings hash of the stage's most recently completed run (None if it never completed)."""
        runs = self.stage_runs(stage)
        return runs[-1]["settings_hash"] if runs else None

    def stage_runs(self, stage: str | None = None) -> list[dict]:
        """Completed stage runs (all, or of one stage), oldest first."""
        sql = "SELECT stage, settings_hash, settings, versions, n_records, completed_at FROM stages"
        rows = self.conn.execute(sql + (" WHERE stage = ?" if stage else "") + " ORDER BY completed_at",
                                 (stage,) if stage else ()).fetchall()
        keys = ("stage", "settings_hash", "settings", "versions", "n_records", "completed_at")
        return [dict(zip(keys, r)) | {"settings": json.loads(r[2]), "versions": json.loads(r[3])} for r in rows]

    def is_complete(self, stage: str, settings_hash: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM stages WHERE stage = ? AND settings_hash = ?",
                                (stage, settings_hash)).fetchone()
        return row is not None

    # space ----------------------------------------------------------------
    def write_space(self, compounds, settings: dict, settings_hash: str, versions: dict) -> None:
        """Insert all compounds and mark the space stage complete, in one transaction."""
        runs = self.stage_runs("space")
        if runs and runs[0]["settings_hash"] != settings_hash:
            raise StoreError(
                f"this campaign's space was built with other settings (hash {runs[0]['settings_hash']}, now "
                f"{settings_hash}); start a new campaign folder to change the space"
            )
        rows = []
        for position, c in enumerate(compounds):
            r = c.row()
            rows.append(tuple(r[k] for k in COMPOUND_COLUMNS)
                        + (json.dumps(c.structure_dict(), separators=(",", ":")), position))
        placeholders = ",".join("?" * (len(COMPOUND_COLUMNS) + 2))
        with self._tx():
            self.conn.executemany(f"INSERT OR IGNORE INTO compounds VALUES ({placeholders})", rows)
            self.conn.execute(
                "INSERT OR REPLACE INTO stages VALUES (?, ?, ?, ?, ?, ?)",
                ("space", settings_hash, json.dumps(settings, sort_keys=True), json.dumps(versions, sort_keys=True),
                 len(rows), time.time()),
            )

    def compound_rows(self, ids: list[str] | None = None) -> list[dict]:
        """Summary rows of the space (no structure), in enumeration order."""
        sql = f"SELECT {', '.join(COMPOUND_COLUMNS)} FROM compounds"
        if ids is None:
            rows = self.conn.execute(sql + " ORDER BY position").fetchall()
        else:
            rows = [self.conn.execute(sql + " WHERE id = ?", (i,)).fetchone() for i in ids]
            missing = [i for i, r in zip(ids, rows) if r is None]
            if missing:
                raise StoreError(f"unknown compound id(s) in this campaign: {', '.join(missing)}")
        return [dict(zip(COMPOUND_COLUMNS, r)) for r in rows]

    def structures(self, ids: list[str]) -> dict[str, dict]:
        """Compact structure dicts (lattice in Å, species, frac_coords) by id."""
        out = {}
        for i in ids:
            row = self.conn.execute("SELECT structure FROM compounds WHERE id = ?", (i,)).fetchone()
            if row is None:
                raise StoreError(f"unknown compound id in this campaign: {i}")
            out[i] = json.loads(row[0])
        return out

    # results ----------------------------------------------------------------
    @staticmethod
    def _result_rows(stage: str, settings_hash: str, rows) -> list[tuple]:
        now = time.time()
        return [(sid, stage, settings_hash, status, json.dumps(data, separators=(",", ":")) if data else None,
                 reason, now) for sid, status, data, reason in rows]

    def write_results(self, stage: str, settings_hash: str, rows: list[tuple[str, str, dict | None, str]]) -> None:
        """Store finished tasks, rows of (subject, status, data, reason), in one transaction (a crash of
        the driver loses nothing that was written)."""
        with self._tx():
            self.conn.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  self._result_rows(stage, settings_hash, rows))

    def replace_results(self, stage: str, settings_hash: str, rows: list[tuple[str, str, dict | None, str]]) -> None:
        """Replace all results of (stage, settings_hash) by `rows`, atomically."""
        with self._tx():
            self.conn.execute("DELETE FROM results WHERE stage = ? AND settings_hash = ?", (stage, settings_hash))
            self.conn.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  self._result_rows(stage, settings_hash, rows))

    def results(self, stage: str, settings_hash: str, subjects: list[str] | None = None) -> dict[str, dict]:
        """{subject: {"status", "data", "reason"}} of one stage run (of `subjects` only, when given: a MOBO
        batch reads a few relaxed structures, not all of them)."""
        sql = "SELECT compound_id, status, data, reason FROM results WHERE stage = ? AND settings_hash = ?"
        if subjects is None:
            rows = self.conn.execute(sql, (stage, settings_hash)).fetchall()
        else:
            rows = [r for s in dict.fromkeys(subjects)
                    for r in self.conn.execute(sql + " AND compound_id = ?", (stage, settings_hash, s)).fetchall()]
        return {r[0]: {"status": r[1], "data": json.loads(r[2]) if r[2] else {}, "reason": r[3]} for r in rows}

    def done_ids(self, stage: str, settings_hash: str) -> set[str]:
        rows = self.conn.execute("SELECT compound_id FROM results WHERE stage = ? AND settings_hash = ?",
                                 (stage, settings_hash)).fetchall()
        return {r[0] for r in rows}

    def results_state(self, stage: str, settings_hash: str) -> tuple[list, float | None]:
        """([count, digest of every (subject, status, data, reason)], newest created_at) of one stage run's
        results: the first changes when what is stored changes, not when the same result is written again."""
        digest = hashlib.blake2b(digest_size=8)
        n, newest = 0, None
        for row in self.conn.execute("SELECT compound_id, status, data, reason, created_at FROM results WHERE "
                                     "stage = ? AND settings_hash = ? ORDER BY compound_id", (stage, settings_hash)):
            data = json.loads(row[2]) if row[2] else None  # canonical: key order does not count
            digest.update(json.dumps([row[0], row[1], data, row[3]], sort_keys=True).encode())
            n, newest = n + 1, row[4] if newest is None else max(newest, row[4])
        return [n, digest.hexdigest()], newest

    def result_counts(self) -> list[tuple[str, str, str, int]]:
        """(stage, settings_hash, status, count) over all results."""
        return self.conn.execute(
            "SELECT stage, settings_hash, status, COUNT(*) FROM results GROUP BY stage, settings_hash, status "
            "ORDER BY stage, settings_hash, status").fetchall()

    # tasks of a whole-campaign stage (StageInput.map): kept as they finish, until the stage completes ----
    def task_results(self, stage: str, settings_hash: str) -> dict[str, tuple[str, dict]]:
        """{task key: (digest of its payload, result)} of the finished tasks of an unfinished stage run."""
        rows = self.conn.execute("SELECT task, digest, data FROM task_results WHERE stage = ? AND settings_hash = ?",
                                 (stage, settings_hash)).fetchall()
        return {r[0]: (r[1], json.loads(r[2])) for r in rows}

    def write_task_result(self, stage: str, settings_hash: str, task: str, digest: str, data: dict) -> None:
        """Keep one finished task (JSON-able result) of a stage run, at once."""
        with self._tx():
            self.conn.execute("INSERT OR REPLACE INTO task_results VALUES (?, ?, ?, ?, ?, ?)",
                              (stage, settings_hash, task, digest, json.dumps(data, separators=(",", ":")),
                               time.time()))

    def clear_task_results(self, stage: str, settings_hash: str) -> None:
        """Drop the kept tasks of a stage run (its rows are stored: they are no longer needed)."""
        with self._tx():
            self.conn.execute("DELETE FROM task_results WHERE stage = ? AND settings_hash = ?", (stage, settings_hash))

    def mark_complete(self, stage: str, settings_hash: str, settings: dict, versions: dict, n_records: int) -> None:
        with self._tx():
            self.conn.execute(
                "INSERT OR REPLACE INTO stages VALUES (?, ?, ?, ?, ?, ?)",
                (stage, settings_hash, json.dumps(settings, sort_keys=True), json.dumps(versions, sort_keys=True),
                 n_records, time.time()))

    def count(self, table: str = "compounds") -> int:
        if table not in ("compounds", "results", "stages"):
            raise ValueError(table)
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
