"""Write the tokenizer fixtures of the core's token tests (rust/core/tests/fixtures):
small GPT-2-, Llama-3- and Llama-2-style tokenizer.json files trained with the Python
``tokenizers`` package on tests/data, and the counts that package gives on a few texts
(``tokens_expected.json``), which the Rust counter must reproduce.

Run from the repository root: ``python scripts/make_token_fixtures.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "rust" / "core" / "tests" / "fixtures"
LLAMA3 = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SAMPLES = [
    "",
    "Hello, world! It's a test.",
    "SELECT * FROM pg_class WHERE relname = 'x';\n\n    indented   code\t\ttabs",
    "numbers 1234567 and 3.14159, CamelCaseWords and snake_case",
    "Ünïcödé: naïve café, 漢字かな交じり, русский текст, emoji 🙂🚀",
    "trailing spaces     \n\n\n",
    " " * 2000 + "after a long run of spaces",
    "I'M WE'LL THEY'D it's",
]


def _texts() -> list[str]:
    lines = (ROOT / "tests" / "data" / "raw_small.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:150]]


def _gpt2() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        _texts(),
        trainers.BpeTrainer(
            vocab_size=400,
            special_tokens=["<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    return tok


def _llama3() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        _texts(),
        trainers.BpeTrainer(
            vocab_size=400,
            special_tokens=["<|begin_of_text|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    return tok


def _llama2() -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback()])
    bytes_ = [f"<0x{b:02X}>" for b in range(256)]
    tok.train_from_iterator(
        _texts(),
        trainers.BpeTrainer(vocab_size=600, special_tokens=["<unk>", "<s>", "</s>", *bytes_]),
    )
    return tok


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, build in (("gpt2", _gpt2), ("llama3", _llama3), ("llama2", _llama2)):
        tok = build()
        tok.save(str(OUT / f"{name}.tokenizer.json"))
        loaded = Tokenizer.from_file(str(OUT / f"{name}.tokenizer.json"))
        expected[name] = [len(loaded.encode(t, add_special_tokens=False).ids) for t in SAMPLES]
    (OUT / "tokens_expected.json").write_text(
        json.dumps({"samples": SAMPLES, "counts": expected}, ensure_ascii=False, indent=1),
        "utf-8",
    )


if __name__ == "__main__":
    main()
