"""Aioli on a toy training loop over real multilingual text.

The model is a softmax regression that predicts the next character of a text from
hashed features of the three characters before it (an embedding bag of their
unigram, bigram and trigram hashes), trained by SGD on batches drawn from a mixture of
languages. Its per-language evaluation loss (cross-entropy on held-out positions) is
what Aioli observes. The same loop is run with the static mixtures the paper compares
with, and the average evaluation loss over the languages is printed at the end.

Run:  python examples/aioli_multilingual.py [path/to/handbook.jsonl.zst]
"""

from __future__ import annotations

import sys
import time
import zlib

import numpy as np
import thresher
from thresher.mixing import Aioli, static_mixture

CORPUS = "/work/shared/corpora/multilingual/handbook.jsonl.zst"
LANGS = ["en-US", "de-DE", "ru-RU", "ja-JP", "zh-CN"]
FEATURES = 1 << 14  # hashed context buckets
CLASSES = 1024  # hashed next-character classes
STEPS, BATCH, LR = 1600, 128, 0.5


def bucket(s: str, n: int) -> int:
    return zlib.crc32(s.encode("utf-8")) % n


def examples(texts: list[str], rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k random (context features, next-character class) pairs from the texts."""
    feats = np.empty((k, 3), dtype=np.int64)
    target = np.empty(k, dtype=np.int64)
    lengths = np.array([len(t) for t in texts])
    docs = rng.choice(len(texts), size=k, p=lengths / lengths.sum())
    for i, d in enumerate(docs):
        text = texts[d]
        j = int(rng.integers(3, len(text)))
        ctx = text[j - 3 : j]
        feats[i] = [
            bucket("1" + ctx[-1:], FEATURES),
            bucket("2" + ctx[-2:], FEATURES),
            bucket("3" + ctx, FEATURES),
        ]
        target[i] = bucket(text[j], CLASSES)
    return feats, target


class Model:
    def __init__(self) -> None:
        self.w = np.zeros((FEATURES, CLASSES))

    def logits(self, feats: np.ndarray) -> np.ndarray:
        return self.w[feats].sum(axis=1)

    def loss(self, feats: np.ndarray, target: np.ndarray) -> float:
        z = self.logits(feats)
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(target)), target].mean())

    def step(self, feats: np.ndarray, target: np.ndarray) -> None:
        z = self.logits(feats)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(target)), target] -= 1.0
        grad = p * (LR / len(target))
        for c in range(3):
            np.add.at(self.w, feats[:, c], -grad)


def run(name: str, train, valid, mixture_of, mixer: Aioli | None, seed: int = 0) -> float:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    model = Model()
    pointers = [0] * len(LANGS)
    reported = 0

    def evaluate() -> np.ndarray:
        return np.array([model.loss(f, t) for f, t in valid])

    for step in range(STEPS):
        if mixer is not None and mixer.needs_losses(step):
            losses = evaluate()
            mixer.observe(step, losses)
            if mixer.rounds > reported:  # LearnParams just ended: a new mixture
                reported = mixer.rounds
                props = ", ".join(
                    f"{g}={x:.3f}" for g, x in zip(LANGS, mixer.proportions, strict=True)
                )
                print(
                    f"  step {step:5d} round {reported}: p = {props} | mean loss "
                    f"{losses.mean():.3f}"
                )
        p = mixer.next_mixture(step) if mixer is not None else mixture_of
        counts = rng.multinomial(BATCH, p)
        feats, target = [], []
        for g, c in enumerate(counts):
            if c == 0:
                continue
            f, t = train[g]
            start = pointers[g]
            idx = np.arange(start, start + c) % len(t)
            pointers[g] = (start + c) % len(t)
            feats.append(f[idx])
            target.append(t[idx])
        model.step(np.concatenate(feats), np.concatenate(target))
    final = evaluate()
    print(
        f"{name:>22}: eval loss per language "
        + ", ".join(f"{lang}={x:.3f}" for lang, x in zip(LANGS, final, strict=True))
        + f"  | mean {final.mean():.4f}"
    )
    return float(final.mean())


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else CORPUS
    started = time.perf_counter()
    table = thresher.read(path).to_reader().read_all()
    langs = table.column("lang").to_pylist()
    texts = table.column("text").to_pylist()
    rng = np.random.default_rng(0)
    train, valid, sizes = [], [], []
    for lang in LANGS:
        docs = [t for t, g in zip(texts, langs, strict=True) if g == lang and len(t) > 10]
        rng.shuffle(docs)
        cut = len(docs) // 5
        train.append(examples(docs[cut:], rng, 40_000))
        valid.append(examples(docs[:cut], rng, 2_000))
        sizes.append(sum(len(t) for t in docs[cut:]))
    print(
        f"{len(LANGS)} languages from {path}: "
        + ", ".join(f"{lang} {s / 1e6:.2f}M chars" for lang, s in zip(LANGS, sizes, strict=True))
    )
    mixer = Aioli(LANGS, update_steps=200, lp_rounds=2, lp_steps=4, eta=2.0, seed=0)
    print(
        f"Aioli: {STEPS} steps of {BATCH}, rounds of {mixer.update_steps} steps "
        f"(LearnParams {mixer.learn_steps} of them), eta={mixer.eta}"
    )
    results = {"aioli": run("aioli", train, valid, None, mixer)}
    for method in ("stratified", "proportional"):
        p = np.array(static_mixture(sizes, method))  # type: ignore[arg-type]
        results[method] = run(method, train, valid, p, None)
    p = np.array(static_mixture(sizes, "temperature", temperature=3.0))
    results["temperature T=3"] = run("temperature T=3", train, valid, p, None)
    print("mean eval loss: " + ", ".join(f"{k} {v:.4f}" for k, v in results.items()))
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
