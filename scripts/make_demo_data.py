#!/usr/bin/env python3
"""Build thresher's demo corpus and test fixtures from the shared real corpora.

Reads (read-only):

* ``<corpora>/docs/raw.jsonl.zst``: 166,993 sections of 37 Debian 12 documentation
  packages, fields ``text``, ``domain``, ``source``.
* ``<corpora>/docs/target-postgresql.jsonl.zst``: 1,000 held-out PostgreSQL 15
  documentation sections (same fields).
* ``<corpora>/multilingual/udhr.jsonl.zst``: the Universal Declaration of Human Rights
  (NLTK ``udhr``), fields ``text``, ``lang``, ``encoding_file``.

Writes (relative to the repository root):

* ``python/thresher/data/demo_raw.jsonl.zst``     ~8,000 raw documents (zstd level 19)
* ``python/thresher/data/demo_target.jsonl.zst``  300 target documents (zstd level 19)
* ``python/thresher/data/README.md``              provenance, counts, sizes, licence
* ``tests/data/raw_small.jsonl``                  ~400 raw documents
* ``tests/data/target_small.jsonl``               60 target documents
* ``tests/data/unicode_small.jsonl``              150 UDHR paragraphs in 43 languages
* ``tests/data/README.md``                        what each fixture is

Determinism
-----------
Sampling does not use a pseudo-random generator whose stream could change between
Python or NumPy versions.  Every candidate gets the key
``blake2b(f"{seed}:{line_number}", digest_size=8)`` (a big-endian 64-bit integer,
``line_number`` = 0-based line of the input file) and "a uniform random sample of n" is
"the n lines with the smallest keys".  The seeds are the constants below; with the same
input files the output is byte-identical on every run (checked by ``--check``).

Sampling rules
--------------
* demo_raw: the ``DEMO_RAW_N`` raw lines with the smallest keys under ``SEED_DEMO_RAW``:
  a uniform sample, so domains keep their natural proportions.  PostgreSQL's natural
  base rate is 2,285 / 166,993 = 1.37 %.  If the sample holds fewer than
  ``round(0.0137 * n)`` PostgreSQL documents, it is topped up to ``round(0.014 * n)``:
  the unsampled PostgreSQL lines with the smallest keys replace the sampled
  non-PostgreSQL lines with the largest keys, so the count stays ``n``.
* raw_small: the same with ``SEED_TEST_RAW`` and ``TEST_RAW_N``; at least
  ``TEST_RAW_MIN_PG`` PostgreSQL documents (topped up the same way; the natural rate
  would give only ~5).  Chosen independently of demo_raw (it may share a few lines).
* target: the 1,000 target lines ordered by key under ``SEED_TARGET``; the first 300
  go to demo_target, the next 60 to target_small (the two are disjoint).
* unicode_small: a fixed list of 43 UDHR files (one encoding file per language, UTF-8
  where available, chosen to cover many scripts); per file the paragraphs except the
  last (the files are truncated, so the last paragraph is usually cut mid-sentence)
  and without control characters (mis-decoded cp1250/cp1252 bytes) are keyed under
  ``SEED_UNICODE`` and the 4 (non-Latin scripts) or 3 (Latin script) smallest taken.

Every output keeps the input's fields in their order and the text unchanged (each
object is parsed and re-serialised with ``ensure_ascii=False``); outputs list the
chosen lines in input-file order, one JSON object per line, ``\\n`` line endings.

Usage::

    python scripts/make_demo_data.py [--corpora /work/shared/corpora] [--check]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import zstandard

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = Path("/work/shared/corpora")

SEED_DEMO_RAW = 20261129
SEED_TEST_RAW = 7
SEED_TARGET = 11
SEED_UNICODE = 13

DEMO_RAW_N = 8000
DEMO_TARGET_N = 300
TEST_RAW_N = 400
TEST_RAW_MIN_PG = 16
TEST_TARGET_N = 60
PG_DOMAIN = "postgresql"
PG_BASE_RATE = 0.0137  # 2,285 / 166,993 in raw.jsonl.zst
PG_TOP_UP_RATE = 0.014
ZSTD_LEVEL = 19

# UDHR encoding files for unicode_small: (encoding_file, paragraphs to take).
# Non-Latin scripts get 4 paragraphs, Latin-script languages 3.  Thai, Georgian,
# Amharic (Ethiopic) and Armenian are not in the corpus (the NLTK files for Amharic and
# Armenian are font-specific and were skipped when it was built); Lao, Burmese and
# Sinhala stand in for other complex scripts.  Cyrillic files with Latin look-alike
# letters (Serbian, Macedonian, Belarusian, Mongolian UTF-8) and the mis-decoded
# Kazakh/Abkhaz files are left out.
UNICODE_FILES: list[tuple[str, int]] = [
    # Arabic script
    ("Arabic_Alarabia-Arabic", 4),
    ("Farsi_Persian-UTF8", 4),
    ("Punjabi_Panjabi-UTF8", 4),  # Shahmukhi (Perso-Arabic) script
    # Hebrew, Greek, Cyrillic
    ("Hebrew_Ivrit-UTF8", 4),
    ("Greek_Ellinika-UTF8", 4),
    ("Russian-UTF8", 4),
    ("Ukrainian-UTF8", 4),
    ("Bulgarian_Balgarski-UTF8", 4),
    # Indic and South-East Asian scripts
    ("Hindi-UTF8", 4),
    ("Marathi-UTF8", 4),
    ("Nepali-UTF8", 4),
    ("Bengali-UTF8", 4),
    ("Gujarati-UTF8", 4),
    ("Kannada-UTF8", 4),
    ("Tamil-UTF8", 4),
    ("Sinhala-UTF8", 4),
    ("Burmese_Myanmar-UTF8", 4),
    ("Lao-UTF8", 4),
    # East Asian
    ("Chinese_Mandarin-UTF8", 4),
    ("Japanese_Nihongo-UTF8", 4),
    ("Korean_Hankuko-UTF8", 4),
    # Latin script, many with diacritics or extra letters
    ("English-Latin1", 3),
    ("French_Francais-Latin1", 3),
    ("German_Deutsch-Latin1", 3),
    ("Spanish-Latin1", 3),
    ("Portuguese_Portugues-Latin1", 3),
    ("Icelandic_Yslenska-Latin1", 3),
    ("Finnish_Suomi-Latin1", 3),
    ("Czech-UTF8", 3),
    ("Polish-Latin2", 3),
    ("Hungarian_Magyar-UTF8", 3),
    ("Romanian-Latin2", 3),
    ("Lithuanian_Lietuviskai-Baltic", 3),
    ("Turkish_Turkce-UTF8", 3),
    ("Vietnamese-UTF8", 3),
    ("Esperanto-UTF8", 3),
    ("Maltese-UTF8", 3),
    ("Kurdish-UTF8", 3),
    ("Swaheli-Latin1", 3),
    ("Yoruba-UTF8", 3),
    ("Igbo-UTF8", 3),
    ("Ewe_Eve-UTF8", 3),
    ("Hawaiian-UTF8", 3),
]


def key(seed: int, line_number: int) -> int:
    """Deterministic pseudo-random sort key of a line (independent of library versions)."""
    digest = hashlib.blake2b(f"{seed}:{line_number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def read_lines(path: Path) -> Iterator[str]:
    """Yield the lines (without the newline) of a zstd-compressed JSON-lines file."""
    with path.open("rb") as fh:
        reader = zstandard.ZstdDecompressor().stream_reader(fh)
        text = io.TextIOWrapper(reader, encoding="utf-8", newline="\n")
        for line in text:
            line = line.rstrip("\n")
            if line:
                yield line


def dumps(obj: dict[str, object]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def to_jsonl(objs: Iterable[dict[str, object]]) -> bytes:
    return "".join(dumps(o) + "\n" for o in objs).encode("utf-8")


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def compress(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=ZSTD_LEVEL, write_checksum=True).compress(data)


def sample_with_pg_floor(
    domains: list[str], seed: int, n: int, min_pg: int, top_up_to: int
) -> tuple[list[int], int]:
    """Uniform sample of n line numbers; top PostgreSQL up to top_up_to if below min_pg.

    Returns the sorted line numbers and the PostgreSQL count before any top-up.
    """
    order = sorted(range(len(domains)), key=lambda i: key(seed, i))
    chosen = order[:n]
    n_pg = sum(domains[i] == PG_DOMAIN for i in chosen)
    if n_pg < min_pg:
        need = top_up_to - n_pg
        extra_pg = [i for i in order[n:] if domains[i] == PG_DOMAIN][:need]
        drop = set([i for i in reversed(chosen) if domains[i] != PG_DOMAIN][:need])
        chosen = [i for i in chosen if i not in drop] + extra_pg
    assert len(chosen) == n
    return sorted(chosen), n_pg


def make_unicode(corpora: Path) -> list[dict[str, object]]:
    by_file: dict[str, list[tuple[int, dict[str, object]]]] = collections.defaultdict(list)
    for i, line in enumerate(read_lines(corpora / "multilingual" / "udhr.jsonl.zst")):
        obj = json.loads(line)
        by_file[obj["encoding_file"]].append((i, obj))
    picked: list[tuple[int, dict[str, object]]] = []
    for name, k in UNICODE_FILES:
        paragraphs = by_file[name][:-1]  # the last paragraph is usually truncated
        ok = [
            (i, o)
            for i, o in paragraphs
            if not any(unicodedata.category(c) == "Cc" and c != "\n" for c in str(o["text"]))
        ]
        if len(ok) < k:
            raise SystemExit(f"{name}: only {len(ok)} usable paragraphs")
        ok.sort(key=lambda t: key(SEED_UNICODE, t[0]))
        picked.extend(ok[:k])
    picked.sort(key=lambda t: t[0])
    out = [o for _, o in picked]
    for o in out:
        assert isinstance(o.get("text"), str) and isinstance(o.get("lang"), str)
    return out


def fmt_size(n: int) -> str:
    return f"{n:,} bytes ({n / 1e6:.2f} MB)" if n >= 1e6 else f"{n:,} bytes ({n / 1e3:.0f} KB)"


def data_readme(
    raw_objs: list[dict[str, object]],
    target_objs: list[dict[str, object]],
    sizes: dict[str, tuple[int, int]],
    all_domains: list[str],
    package_of: dict[str, collections.Counter[str]],
    pg_uniform: int,
) -> str:
    counts = collections.Counter(str(o["domain"]) for o in raw_objs)
    total = collections.Counter(all_domains)
    n = len(raw_objs)
    rows = []
    for dom, c in sorted(counts.items(), key=lambda t: (-t[1], t[0])):
        pkgs = ", ".join(f"`{p}`" for p in sorted(package_of[dom]))
        share = 100 * total[dom] / len(all_domains)
        rows.append(f"| {dom} | {pkgs} | {c} | {100 * c / n:.2f} | {share:.2f} |")
    missing = sorted(set(total) - set(counts))
    n_pg = counts[PG_DOMAIN]
    size_rows = "\n".join(
        f"| `{name}` | {docs} | {fmt_size(comp)} | {fmt_size(raw)} |"
        for name, (docs, comp, raw) in (
            ("demo_raw.jsonl.zst", (n, *sizes["demo_raw"])),
            ("demo_target.jsonl.zst", (len(target_objs), *sizes["demo_target"])),
        )
    )
    if pg_uniform < n_pg:
        pg_note = (
            f"The uniform sample held {pg_uniform} ({100 * pg_uniform / n:.2f} %), so "
            f"{n_pg - pg_uniform} further PostgreSQL documents replaced the last-drawn "
            f"non-PostgreSQL ones; it now holds {n_pg} ({100 * n_pg / n:.2f} %)."
        )
    else:
        pg_note = f"This sample holds {n_pg} ({100 * n_pg / n:.2f} %), no top-up was needed."
    missing_note = f"\nDomains absent from the sample: {', '.join(missing)}." if missing else ""
    return f"""# Demo corpus for `thresher demo`

Two small real corpora used by `thresher demo`, which runs DSIR to select
PostgreSQL-like documentation from a mixed pool of software documentation.
Generated by `scripts/make_demo_data.py` (deterministic; re-run it to rebuild
byte-identical files, `--check` verifies without writing).

| file | documents | compressed (zstd -19) | uncompressed |
|---|---|---|---|
{size_rows}

Format: JSON lines, UTF-8, one object per line with the fields `text`, `domain`
(ground-truth label: which documentation set the text comes from) and `source`
(Debian package and path of the original page). The text is exactly as in the
source corpus.

## Where it comes from

Both files are samples of the thresher benchmark corpus (`docs/raw.jsonl.zst`,
166,993 documents, and `docs/target-postgresql.jsonl.zst`, 1,000 documents). That
corpus is the text of 37 Debian 12 ("bookworm") documentation packages: HTML, POD and
man pages converted to plain text, split at headings into sections of 500 to 5,120
bytes, exact duplicates removed, each domain capped at 32 MiB, shuffled. The packages:

`python3.11-doc`, `postgresql-doc-15`, `perl-doc`, `linux-doc-6.1`, `git-doc`,
`python-django-doc`, `manpages`, `manpages-dev`, `cmake-doc`, `octave-doc`,
`maxima-doc`, `python-scipy-doc`, `python-pandas-doc`, `rust-doc`, `sqlite3-doc`,
`python-sqlalchemy-doc`, `gimp-help-en`, `vim-runtime`, `openjdk-17-doc`,
`erlang-doc`, `nodejs-doc`, `qtbase5-doc-html`, `python-sklearn-doc`,
`python-astropy-doc`, `freebsd-manpages`, `libssl-doc`, `zsh-doc`, `gettext-doc`,
`sphinx-doc`, `debian-policy`, `developers-reference`, `debian-reference-en`,
`libreoffice-help-en-us`, `bind9-doc`, `tcl8.6-doc`, `llvm-15-doc`, `clang-15-doc`.

`demo_target.jsonl.zst` comes from `target-postgresql.jsonl.zst`: PostgreSQL 15
documentation pages (`postgresql-doc-15`) that were held out of the raw corpus, so
no target page also appears in `demo_raw`.

## How it was sampled

* `demo_raw`: a uniform random sample of {n:,} of the 166,993 raw documents, so the
  domains keep their natural proportions (table below). PostgreSQL's natural base
  rate is 1.37 %; the script tops PostgreSQL up to 1.4 % only if the uniform sample
  falls below 1.37 %. {pg_note}
* `demo_target`: {len(target_objs)} random documents of the 1,000 held-out PostgreSQL
  documents.

Sampling is by a seeded hash of the line number (see the script's docstring), so it
does not depend on the Python or NumPy version.

## Documents per domain in `demo_raw`

| domain | Debian package(s) | documents | % of demo_raw | % of full corpus |
|---|---|---|---|---|
{chr(10).join(rows)}
| **total** | | {n:,} | 100.00 | 100.00 |
{missing_note}

## Licence

The texts are documentation of free software packages, redistributed under their
respective free licences as shipped by Debian (each package's terms are in
`/usr/share/doc/<package>/copyright` of the Debian 12 package named in the `source`
field; for example the PostgreSQL Licence for `postgresql-doc-15` and MIT or
Apache-2.0 for `rust-doc`). These data files are not covered by thresher's own
MIT OR Apache-2.0 licence.
"""


TESTS_README = """# Test fixtures

Small real-text fixtures for pytest, generated by `scripts/make_demo_data.py`
(deterministic; re-run it to regenerate byte-identical files). All are UTF-8 JSON
lines, one object per line. `raw_small.jsonl` is a uniform random sample of {raw_n}
documents (fields `text`, `domain`, `source`) of the docs corpus made from 37
Debian 12 documentation packages (see `python/thresher/data/README.md`), with
PostgreSQL topped up from {raw_pg_uniform} to {raw_pg} documents (replacing the
last-drawn non-PostgreSQL ones) so selection tests have enough positives.
`target_small.jsonl` is {target_n} documents of held-out PostgreSQL 15 documentation
(`postgresql-doc-15`, never in the raw corpus, disjoint from the demo target).
`unicode_small.jsonl` is {uni_n} paragraphs of the Universal Declaration of Human
Rights (the UN OHCHR translations as distributed in NLTK's `udhr` corpus) in
{uni_langs} languages covering Latin with diacritics, Greek, Cyrillic, Arabic,
Hebrew, Devanagari, Bengali, Gujarati, Kannada, Tamil, Sinhala, Myanmar, Lao,
Chinese, Japanese and Korean scripts (fields `text`, `lang`, `encoding_file`;
Thai, Georgian, Ethiopic and Armenian are not in the source).
Texts are unmodified. Sizes:
{sizes}.
"""


def build(corpora: Path) -> dict[Path, bytes]:
    raw_path = corpora / "docs" / "raw.jsonl.zst"
    target_path = corpora / "docs" / "target-postgresql.jsonl.zst"

    # Pass 1: domain (and Debian package) of every raw line.
    domains: list[str] = []
    package_of: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in read_lines(raw_path):
        obj = json.loads(line)
        domains.append(obj["domain"])
        package_of[obj["domain"]][obj["source"].split("/", 1)[0]] += 1

    demo_idx, demo_pg_uniform = sample_with_pg_floor(
        domains,
        SEED_DEMO_RAW,
        DEMO_RAW_N,
        min_pg=round(PG_BASE_RATE * DEMO_RAW_N),
        top_up_to=round(PG_TOP_UP_RATE * DEMO_RAW_N),
    )
    test_idx, test_pg_uniform = sample_with_pg_floor(
        domains, SEED_TEST_RAW, TEST_RAW_N, min_pg=TEST_RAW_MIN_PG, top_up_to=TEST_RAW_MIN_PG
    )

    # Pass 2: collect the chosen lines.
    wanted = set(demo_idx) | set(test_idx)
    lines: dict[int, str] = {}
    for i, line in enumerate(read_lines(raw_path)):
        if i in wanted:
            lines[i] = line
    demo_raw = [json.loads(lines[i]) for i in demo_idx]
    test_raw = [json.loads(lines[i]) for i in test_idx]

    target_lines = list(read_lines(target_path))
    order = sorted(range(len(target_lines)), key=lambda i: key(SEED_TARGET, i))
    demo_t_idx = sorted(order[:DEMO_TARGET_N])
    test_t_idx = sorted(order[DEMO_TARGET_N : DEMO_TARGET_N + TEST_TARGET_N])
    demo_target = [json.loads(target_lines[i]) for i in demo_t_idx]
    test_target = [json.loads(target_lines[i]) for i in test_t_idx]

    unicode_objs = make_unicode(corpora)

    # Texts must round-trip unchanged.
    for idx, objs, src in (
        (demo_idx, demo_raw, lines),
        (test_idx, test_raw, lines),
    ):
        for i, o in zip(idx, objs, strict=True):
            assert json.loads(src[i]) == o and json.loads(dumps(o)) == o
    for o in demo_target + test_target + unicode_objs:
        assert json.loads(dumps(o)) == o

    demo_raw_bytes = to_jsonl(demo_raw)
    demo_target_bytes = to_jsonl(demo_target)
    demo_raw_z = compress(demo_raw_bytes)
    demo_target_z = compress(demo_target_bytes)
    sizes = {
        "demo_raw": (len(demo_raw_z), len(demo_raw_bytes)),
        "demo_target": (len(demo_target_z), len(demo_target_bytes)),
    }

    data_dir = REPO / "python" / "thresher" / "data"
    tests_dir = REPO / "tests" / "data"
    out: dict[Path, bytes] = {
        data_dir / "demo_raw.jsonl.zst": demo_raw_z,
        data_dir / "demo_target.jsonl.zst": demo_target_z,
        data_dir / "README.md": data_readme(
            demo_raw, demo_target, sizes, domains, package_of, demo_pg_uniform
        ).encode(),
        tests_dir / "raw_small.jsonl": to_jsonl(test_raw),
        tests_dir / "target_small.jsonl": to_jsonl(test_target),
        tests_dir / "unicode_small.jsonl": to_jsonl(unicode_objs),
    }
    fixture_sizes = ", ".join(
        f"`{p.name}` {len(out[p]):,} bytes"
        for p in (
            tests_dir / "raw_small.jsonl",
            tests_dir / "target_small.jsonl",
            tests_dir / "unicode_small.jsonl",
        )
    )
    out[tests_dir / "README.md"] = TESTS_README.format(
        raw_n=len(test_raw),
        raw_pg=sum(o["domain"] == PG_DOMAIN for o in test_raw),
        raw_pg_uniform=test_pg_uniform,
        target_n=len(test_target),
        uni_n=len(unicode_objs),
        uni_langs=len({o["lang"] for o in unicode_objs}),
        sizes=fixture_sizes,
    ).encode()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument(
        "--check", action="store_true", help="verify the files are up to date, write nothing"
    )
    args = ap.parse_args(argv)
    out = build(args.corpora)
    stale = []
    for path, data in out.items():
        rel = path.relative_to(REPO)
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(str(rel))
        else:
            write(path, data)
        print(f"{rel}: {len(data):,} bytes")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
