"""Date commits: one manifest per run date names the files of all five tables; replacing it is the commit.

Layout under an output root (a local folder, gs://bucket/prefix, or any filesystem pyarrow or
fsspec opens):

    <table>/run_date=YYYY-MM-DD/<run_id>/part-SSSSS-of-NNNNN.parquet   a run's files, never moved
    _manifests/YYYY-MM-DD.json                                          the date's commit
    _locks/YYYY-MM-DD.lock                                              held while a run of the date runs
                                                                        (pipelines/datelock.py)

A run writes its tables into its own `<run_id>` folders. When all of them are complete it writes
the date's manifest in one atomic step (locally a temporary file renamed over the old one; on
Cloud Storage one object upload, which becomes visible whole or not at all). Readers find files
only through manifests, so for every table at once they see the old run's rows or the new run's
rows: never a mix, never nothing. This is how table formats such as Delta Lake and Iceberg commit.

After the commit, run folders of the date that neither the new manifest nor the one it replaced
names are deleted: the leftovers of killed runs. The replaced run's files stay until the next
commit of the date, so a reader that resolved the old manifest can still finish reading.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from pipelines.schema import PARTITION_COLUMN, TABLES, arrow_schema

MANIFESTS = "_manifests"
DATA_FILE_SUFFIX = ".parquet"
MANIFEST_FORMAT = "finsent-date-commit/1"


@dataclass(frozen=True)
class DateCommit:
    """One date's manifest: the run whose rows readers see, and its files per table (relative to the root)."""

    run_date: date
    run_id: str
    committed_at: str
    files: dict[str, list[str]]
    replaced_run_id: str | None = None

    def to_json(self) -> str:
        """The manifest file's text."""
        return json.dumps({"format": MANIFEST_FORMAT, "run_date": self.run_date.isoformat(),
                           "run_id": self.run_id, "committed_at": self.committed_at,
                           "replaced_run_id": self.replaced_run_id, "tables": self.files}, indent=1)

    @classmethod
    def from_json(cls, text: str, where: str) -> DateCommit:
        """Parse a manifest; `where` names it in the error when it is not one."""
        try:
            data = json.loads(text)
            if data.get("format") != MANIFEST_FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {MANIFEST_FORMAT!r}")
            return cls(date.fromisoformat(data["run_date"]), data["run_id"], data["committed_at"],
                       {table: list(data["tables"][table]) for table in TABLES}, data.get("replaced_run_id"))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{where} is not a finsent date manifest: {error}") from error


# ---- where things are -------------------------------------------------------------------------

def filesystem(output: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem of an output root, and the root's path on it.

    gs:// goes to Cloud Storage, or to the emulator at `$STORAGE_EMULATOR_HOST` when that is set
    (the variable google-cloud-storage and Beam's GCS client follow); other schemes pyarrow
    knows (s3://, hdfs://, file://) through pyarrow; any other scheme through fsspec.
    """
    if "://" not in output:
        return pafs.LocalFileSystem(), str(Path(output).absolute())
    scheme = output.split("://", 1)[0]
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if scheme == "gs" and emulator:
        endpoint = urlsplit(emulator if "://" in emulator else f"http://{emulator}")
        return (pafs.GcsFileSystem(anonymous=True, scheme=endpoint.scheme, endpoint_override=endpoint.netloc),
                output.removeprefix("gs://").rstrip("/"))
    try:
        return pafs.FileSystem.from_uri(output)
    except pa.ArrowInvalid:  # not a scheme pyarrow has a filesystem for
        import fsspec

        fs, path = fsspec.core.url_to_fs(output)
        return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path.rstrip("/")


def relative_run_folder(table: str, run_date: date, run_id: str) -> str:
    """`<table>/run_date=YYYY-MM-DD/<run_id>`: where run `run_id` writes `table`'s files, under the root."""
    return f"{table}/{PARTITION_COLUMN}={run_date.isoformat()}/{run_id}"


def run_folder(output: str, table: str, run_date: date, run_id: str) -> str:
    """Folder (URI or path, as `output` is) where run `run_id` writes `table`'s files."""
    return f"{output.rstrip('/')}/{relative_run_folder(table, run_date, run_id)}"


def _date_folder(root: str, table: str, run_date: date) -> str:
    return f"{root}/{table}/{PARTITION_COLUMN}={run_date.isoformat()}"


def _manifest_path(root: str, run_date: date) -> str:
    return f"{root}/{MANIFESTS}/{run_date.isoformat()}.json"


# ---- reading --------------------------------------------------------------------------------

def read_commits(output: str) -> dict[date, DateCommit]:
    """Every committed date of the output root and its manifest, oldest first (empty if none)."""
    fs, root = filesystem(output)
    commits = {}
    for info in fs.get_file_info(pafs.FileSelector(f"{root}/{MANIFESTS}", allow_not_found=True)):
        if info.type == pafs.FileType.File and info.base_name.endswith(".json") \
                and not info.base_name.startswith("."):
            commit = _read_manifest(fs, info.path)
            commits[commit.run_date] = commit
    return dict(sorted(commits.items()))


def _read_manifest(fs: pafs.FileSystem, path: str) -> DateCommit:
    with fs.open_input_stream(path) as stream:
        return DateCommit.from_json(stream.read().decode("utf-8"), path)


def _read_commit(fs: pafs.FileSystem, root: str, run_date: date) -> DateCommit | None:
    path = _manifest_path(root, run_date)
    if fs.get_file_info(path).type != pafs.FileType.File:
        return None
    return _read_manifest(fs, path)


def table_dataset(output: str, table: str, commits: Iterable[DateCommit]) -> ds.Dataset:
    """A pyarrow dataset of `table`'s committed files of `commits`, with the `run_date` column.

    Its schema is the table's, so a dataset of no files still has every column.
    """
    fs, root = filesystem(output)
    paths = [f"{root}/{relative}" for commit in commits for relative in commit.files[table]]
    partitioning = ds.partitioning(pa.schema([(PARTITION_COLUMN, pa.date32())]), flavor="hive")
    return ds.dataset(paths, schema=arrow_schema(table, with_partition_column=True), format="parquet",
                      filesystem=fs, partitioning=partitioning, partition_base_dir=f"{root}/{table}")


def read_table(output: str, table: str, columns: list[str] | None = None,
               commits: Iterable[DateCommit] | None = None) -> pa.Table:
    """`table`'s committed rows of every date (or of `commits`), with the `run_date` column."""
    chosen = read_commits(output).values() if commits is None else commits
    return table_dataset(output, table, chosen).to_table(columns=columns)


# ---- committing -----------------------------------------------------------------------------

def commit_date(output: str, run_id: str, run_date: date, files: Mapping[str, Sequence[str]]) -> DateCommit:
    """Make run `run_id`'s `files` (per table, relative to the root) the rows of `run_date`, then
    delete dead runs' files.

    Call it once all of the run's tables are written; the manifest is written last.
    """
    missing = set(TABLES) - set(files)
    if missing:
        raise ValueError(f"commit of {run_date} names no files for {sorted(missing)}")
    fs, root = filesystem(output)
    previous = _read_commit(fs, root, run_date)
    commit = DateCommit(run_date, run_id, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        {table: sorted(files[table]) for table in TABLES}, previous.run_id if previous else None)
    write_manifest(fs, _manifest_path(root, run_date), commit.to_json(), run_id)
    remove_dead_runs(fs, root, commit)
    return commit


def _files_under(fs: pafs.FileSystem, folder: str) -> list[pafs.FileInfo]:
    # Listed recursively: object stores (and their emulators) do not all list implied sub-folders.
    selector = pafs.FileSelector(folder, allow_not_found=True, recursive=True)
    return [info for info in fs.get_file_info(selector) if info.type == pafs.FileType.File]


def write_manifest(fs: pafs.FileSystem, path: str, text: str, run_id: str) -> None:
    """Replace the manifest at `path` in one step: readers see the old text or the new, whole."""
    if isinstance(fs, pafs.LocalFileSystem):
        temporary = f"{os.path.dirname(path)}/.{os.path.basename(path)}.{run_id}.tmp"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    else:  # an object store's upload becomes visible only when it completes
        with fs.open_output_stream(path) as stream:
            stream.write(text.encode("utf-8"))


def remove_dead_runs(fs: pafs.FileSystem, root: str, commit: DateCommit) -> list[str]:
    """Delete the date's run folders (and stray temporary manifests) that `commit` does not keep.

    Kept: the committed run and the run it replaced. Returns the deleted folders.
    """
    keep = {commit.run_id, commit.replaced_run_id}
    removed = []
    for table in TABLES:
        date_folder = _date_folder(root, table, commit.run_date)
        for run_id, files in sorted(_run_folders(fs, date_folder).items()):
            if run_id not in keep:
                remove_folder(fs, f"{date_folder}/{run_id}", files)
                removed.append(f"{date_folder}/{run_id}")
    if isinstance(fs, pafs.LocalFileSystem):
        for stray in Path(root, MANIFESTS).glob(f".{commit.run_date.isoformat()}.json.*.tmp"):
            stray.unlink(missing_ok=True)
    return removed


def _run_folders(fs: pafs.FileSystem, date_folder: str) -> dict[str, list[str]]:
    """Run ID → the files of each run folder under a date folder (locally also folders with no file)."""
    runs: dict[str, list[str]] = {}
    if isinstance(fs, pafs.LocalFileSystem):  # a run killed early can leave only empty folders
        for info in fs.get_file_info(pafs.FileSelector(date_folder, allow_not_found=True)):
            if info.type == pafs.FileType.Directory:
                runs[info.base_name] = []
    for info in _files_under(fs, date_folder):
        run_id, _, rest = info.path[len(date_folder) + 1:].partition("/")
        if rest:  # a file inside a run folder
            runs.setdefault(run_id, []).append(info.path)
    return runs


def remove_folder(fs: pafs.FileSystem, folder: str, files: list[str]) -> None:
    """Delete a run folder: locally the folder, on an object store its `files` (its objects)."""
    if isinstance(fs, pafs.LocalFileSystem):
        fs.delete_dir(folder)
    else:
        for path in files:
            fs.delete_file(path)
