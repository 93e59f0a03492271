"""The manifest of an output directory: what it holds, from what, and whether it is done.

A sharded output (``--out DIR/``) holds ``part-00000.parquet``, ``part-00001.parquet``...
and ``manifest.json``, a JSON object with sorted keys::

    {"complete": true, "format": "thresher.manifest", "version": 1,
     "kind": "dedup", "parameters": {"threshold": 0.8, ...},
     "inputs": [{"path": "corpus/a.jsonl", "size": 1234, "fingerprint": "..."}],
     "shards": [{"name": "part-00000.parquet", "rows": 100, "bytes": 5678,
                 "sha256": "..."}],
     "thresher_version": "0.4.0"}

``complete`` is ``false`` while the output is being written (the manifest is rewritten
after each shard) and ``true`` only once the last shard is in place: a reader that finds
``complete: true`` may trust every listed shard. ``inputs`` and ``parameters`` say how
the output was made, so a resumed run can refuse to mix outputs of different inputs or
settings (:meth:`Manifest.differences`).

Examples
--------
>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> m = Manifest(kind="sample", parameters={"n": 10}, inputs=[], shards=[],
...              complete=True, thresher_version="0.4.0")
>>> _ = m.save(d)
>>> Manifest.load(d) == m
True
>>> other = Manifest(kind="sample", parameters={"n": 20}, inputs=[], shards=[],
...                  complete=True, thresher_version="0.4.0")
>>> m.differences(other)
['parameter n changed from 10 to 20']
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from thresher.exceptions import ManifestError, ReadError, located
from thresher.io import remote

__all__ = [
    "MANIFEST_NAME",
    "InputFile",
    "Manifest",
    "ShardInfo",
    "describe_inputs",
    "fingerprint",
    "sha256_file",
]

MANIFEST_NAME = "manifest.json"
FORMAT = "thresher.manifest"
VERSION = 1

_MIB = 1 << 20
_GIB = 1 << 30


def fingerprint(path: str | os.PathLike[str]) -> str:
    """A cheap content fingerprint of a (possibly huge) file, local or a URL.

    BLAKE2b (128-bit digest, hex) over the file's size, its first and last MiB, and
    one MiB sampled at each GiB boundary in between: a few MiB read whatever the
    size. It changes when the size changes or when any sampled MiB changes; an edit
    that keeps the size and touches only unsampled bytes goes unnoticed (it is a
    fingerprint to catch a replaced or regrown input, not a checksum).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_text('{"text": "a"}\\n')
    >>> before = fingerprint(p)
    >>> len(before), before == fingerprint(p)
    (32, True)
    >>> _ = p.write_text('{"text": "b"}\\n')
    >>> fingerprint(p) == before
    False
    """
    where = str(path)
    try:
        with _open_binary(path) as f:
            size = f.seek(0, os.SEEK_END)
            digest = hashlib.blake2b(digest_size=16)
            digest.update(size.to_bytes(8, "little"))
            for offset in _sample_offsets(size):
                f.seek(offset)
                digest.update(f.read(_MIB))
            return digest.hexdigest()
    except OSError as e:
        if isinstance(e, ReadError):
            raise
        raise located(ReadError, f"{where}: cannot read it ({e})", path=where) from e


def _sample_offsets(size: int) -> list[int]:
    """Where :func:`fingerprint` reads one MiB: the start, each GiB, the last MiB."""
    offsets = [0, *range(_GIB, size - _MIB, _GIB)]
    if size > _MIB:
        offsets.append(size - _MIB)
    return offsets


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The SHA-256 (hex) of a whole file, local or a URL, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with _open_binary(path) as f:
        while block := f.read(_MIB):
            digest.update(block)
    return digest.hexdigest()


def _open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    if remote.is_url(path):
        fs, inner = remote.filesystem(str(path))
        opened: BinaryIO = fs.open(inner, "rb")
        return opened
    try:
        return open(path, "rb")
    except OSError as e:
        where = str(path)
        raise located(ReadError, f"{where}: {e.strerror or e}", path=where) from e


@dataclass(frozen=True)
class InputFile:
    """One input file of an output: its path (or URL), size and :func:`fingerprint`."""

    path: str
    size: int
    fingerprint: str


def describe_inputs(paths: Sequence[str | os.PathLike[str]]) -> list[InputFile]:
    """The :class:`InputFile` of each path (local or a URL), in the given order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_text('{"text": "a"}\\n')
    >>> [(f.size, len(f.fingerprint)) for f in describe_inputs([p])]
    [(14, 32)]
    """
    described = []
    for path in paths:
        text = path if isinstance(path, str) else os.fspath(path)
        if remote.is_url(text):
            fs, inner = remote.filesystem(text)
            size = int(fs.size(inner))
        else:
            try:
                size = os.path.getsize(text)
            except OSError as e:
                raise located(ReadError, f"{text}: {e.strerror or e}", path=text) from e
        described.append(InputFile(text, size, fingerprint(text)))
    return described


@dataclass(frozen=True)
class ShardInfo:
    """One file of an output: its name (inside the output directory), rows, size in
    bytes and the SHA-256 of its bytes."""

    name: str
    rows: int
    bytes: int
    sha256: str


@dataclass
class Manifest:
    """The contents of ``manifest.json`` (see the module documentation).

    Parameters
    ----------
    kind
        What made the output (``"dedup"``, ``"dsir"``, ``"sample"``...).
    parameters
        The settings that shaped it (JSON values).
    inputs
        The input files, in reading order.
    shards
        The output's files, in order: reading them one after the other gives the rows.
    complete
        Whether every shard is written (``False`` while writing or after a failure).
    thresher_version
        The version of thresher that wrote it.
    """

    kind: str
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: list[InputFile] = field(default_factory=list)
    shards: list[ShardInfo] = field(default_factory=list)
    complete: bool = False
    thresher_version: str = ""

    @property
    def rows(self) -> int:
        """Rows over every shard."""
        return sum(s.rows for s in self.shards)

    def to_json(self) -> str:
        """The JSON text :meth:`save` writes (sorted keys, one trailing newline)."""
        document = {
            "format": FORMAT,
            "version": VERSION,
            "kind": self.kind,
            "parameters": self.parameters,
            "inputs": [vars(i) for i in self.inputs],
            "shards": [vars(s) for s in self.shards],
            "complete": self.complete,
            "thresher_version": self.thresher_version,
        }
        try:
            return json.dumps(document, sort_keys=True, indent=1, allow_nan=False) + "\n"
        except (TypeError, ValueError) as e:
            message = f"manifest parameters must be JSON values ({e}): {self.parameters!r}"
            raise located(ManifestError, message, field="parameters") from e

    def save(self, directory: str | os.PathLike[str]) -> str:
        """Write ``manifest.json`` into ``directory`` (local or a URL); returns its path.

        Locally the file is written under a temporary name and renamed, so a reader
        sees the old manifest or the new one, never half of one; on object stores a
        single upload is atomic already.
        """
        text = self.to_json()
        target = remote.join(_text(directory), MANIFEST_NAME)
        if remote.is_url(target):
            fs, inner = remote.filesystem(target)
            fs.pipe_file(inner, text.encode("utf-8"))
            return target
        tmp = Path(directory) / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise located(ReadError, f"{target}: cannot write it ({e})", path=target) from e
        return target

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> Manifest:
        """The manifest in ``directory`` (local or a URL).

        Raises :class:`~thresher.exceptions.ManifestError` naming the file, and the
        field when one is missing or of the wrong type.
        """
        where = remote.join(_text(directory), MANIFEST_NAME)
        try:
            if remote.is_url(where):
                fs, inner = remote.filesystem(where)
                raw: bytes = fs.cat_file(inner)
            else:
                raw = Path(where).read_bytes()
        except FileNotFoundError:
            raise located(ManifestError, f"{where}: no manifest", path=where) from None
        except OSError as e:
            raise located(ManifestError, f"{where}: cannot read it ({e})", path=where) from e
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise located(ManifestError, f"{where}: not valid JSON ({e})", path=where) from e
        return _parse(document, where)

    def differences(self, other: Manifest) -> list[str]:
        """What changed from this manifest to ``other``, as sentences (empty if the
        kind, inputs, parameters and version agree; shards and ``complete`` are not
        compared). The pipeline's resume refuses to continue with these."""
        changes = []
        if self.kind != other.kind:
            changes.append(f"the output kind changed from {self.kind!r} to {other.kind!r}")
        changes += _input_changes(self.inputs, other.inputs)
        changes += _parameter_changes(self.parameters, other.parameters)
        if self.thresher_version != other.thresher_version:
            changes.append(
                f"thresher version changed from {self.thresher_version} to {other.thresher_version}"
            )
        return changes


def _text(directory: str | os.PathLike[str]) -> str:
    return directory if isinstance(directory, str) else os.fspath(directory)


def _input_changes(old: list[InputFile], new: list[InputFile]) -> list[str]:
    before = {i.path: i for i in old}
    after = {i.path: i for i in new}
    changes = [f"input {p} was removed" for p in before if p not in after]
    changes += [f"input {p} was added" for p in after if p not in before]
    for path, was in before.items():
        now = after.get(path)
        if now is None:
            continue
        if was.size != now.size:
            changes.append(f"input {path} changed size from {was.size} to {now.size} bytes")
        elif was.fingerprint != now.fingerprint:
            changes.append(
                f"input {path} changed content (fingerprint {was.fingerprint} "
                f"became {now.fingerprint})"
            )
    if not changes and [i.path for i in old] != [i.path for i in new]:
        changes.append("the inputs are the same files in another order")
    return changes


def _parameter_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            changes.append(f"parameter {name} was removed (it was {_show(old[name])})")
        elif name not in old:
            changes.append(f"parameter {name} was added ({_show(new[name])})")
        elif _canonical(old[name]) != _canonical(new[name]):
            changes.append(
                f"parameter {name} changed from {_show(old[name])} to {_show(new[name])}"
            )
    return changes


def _canonical(value: Any) -> str:
    """Values as JSON compares them (a tuple equals the list a reload gives)."""
    return json.dumps(value, sort_keys=True, default=repr)


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _parse(document: Any, where: str) -> Manifest:
    def bad(name: str, must: str) -> ManifestError:
        message = f"{where}: field {name!r} {must}"
        return located(ManifestError, message, path=where, field=name)

    def get(mapping: dict[str, Any], name: str, kind: type | tuple[type, ...], label: str) -> Any:
        if name not in mapping:
            raise bad(label, "is missing")
        value = mapping[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise bad(label, f"must be {_names(kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise bad(label, f"must be {_names(kinds)}, got {value!r}")
        return value

    if not isinstance(document, dict):
        raise located(ManifestError, f"{where}: not a JSON object", path=where)
    if document.get("format") != FORMAT:
        raise bad("format", f"must be {FORMAT!r}, got {document.get('format')!r}")
    if document.get("version") != VERSION:
        raise bad(
            "version", f"must be {VERSION} (this thresher's), got {document.get('version')!r}"
        )
    inputs = []
    for n, item in enumerate(get(document, "inputs", list, "inputs")):
        label = f"inputs[{n}]"
        if not isinstance(item, dict):
            raise bad(label, "must be an object")
        inputs.append(
            InputFile(
                get(item, "path", str, f"{label}.path"),
                get(item, "size", int, f"{label}.size"),
                get(item, "fingerprint", str, f"{label}.fingerprint"),
            )
        )
    shards = []
    for n, item in enumerate(get(document, "shards", list, "shards")):
        label = f"shards[{n}]"
        if not isinstance(item, dict):
            raise bad(label, "must be an object")
        shards.append(
            ShardInfo(
                get(item, "name", str, f"{label}.name"),
                get(item, "rows", int, f"{label}.rows"),
                get(item, "bytes", int, f"{label}.bytes"),
                get(item, "sha256", str, f"{label}.sha256"),
            )
        )
    return Manifest(
        kind=get(document, "kind", str, "kind"),
        parameters=get(document, "parameters", dict, "parameters"),
        inputs=inputs,
        shards=shards,
        complete=get(document, "complete", bool, "complete"),
        thresher_version=get(document, "thresher_version", str, "thresher_version"),
    )


def _names(kinds: tuple[type, ...]) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        str: "a string",
        list: "a list",
        dict: "an object",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)
