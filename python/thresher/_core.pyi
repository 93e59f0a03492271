"""Type stubs of the Rust extension ``thresher._core`` (checked by ``mypy.stubtest``)."""

import os
from typing import Any, Protocol, final

import numpy as np
import numpy.typing as npt

__version__: str

class _ArrowStream(Protocol):
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

class _ArrowArray(Protocol):
    def __arrow_c_array__(self, requested_schema: object | None = None) -> object: ...

class _Progress(Protocol):
    def __call__(self, rows: int, nbytes: int, /) -> object: ...

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...

@final
class JsonlFiles:
    def __new__(
        cls,
        paths: list[str] | list[os.PathLike[str]] | list[str | os.PathLike[str]],
        text_column: str | None = None,
        batch_size: int = 8192,
        parallel: bool | None = None,
    ) -> JsonlFiles: ...
    @property
    def schema(self) -> Any: ...
    @property
    def parallel(self) -> bool: ...
    @property
    def paths(self) -> list[str]: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

@final
class JsonlWriter:
    def __new__(cls, path: str | os.PathLike[str]) -> JsonlWriter: ...
    def write(self, batch: _ArrowArray) -> None: ...
    def finish(self) -> str: ...

@final
class SpilledCorpus:
    def __new__(cls, path: str | os.PathLike[str]) -> SpilledCorpus: ...
    @property
    def path(self) -> str: ...

@final
class DsirModel:
    def __new__(
        cls,
        ngrams: int,
        num_buckets: int,
        hash: str,
        target_counts: npt.NDArray[np.uint64],
        raw_counts: npt.NDArray[np.uint64],
        target_smoothing: float,
        raw_smoothing: float,
        epsilon: float,
    ) -> DsirModel: ...
    @property
    def log_diff(self) -> npt.NDArray[np.float64]: ...
    @property
    def num_targets(self) -> int: ...

def count_features(
    source: _ArrowStream,
    column: str,
    ngrams: int,
    num_buckets: int,
    hash: str,
    limit: int | None = None,
    spill_to: str | os.PathLike[str] | None = None,
    progress: _Progress | None = None,
) -> tuple[npt.NDArray[np.uint64], int, int, int, SpilledCorpus | None]: ...
def dsir_log_weights(
    model: DsirModel,
    source: _ArrowStream | SpilledCorpus,
    column: str,
    normalize: str = "none",
    clip: tuple[float, float] | None = None,
    min_length: int = 0,
    chunk_words: int | None = None,
    progress: _Progress | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32]]: ...
def dsir_keys(
    log_weights: npt.NDArray[np.float64],
    rows: npt.NDArray[np.uint64],
    target: int,
    seed: int,
    method: str = "gumbel",
    temperature: float = 1.0,
) -> npt.NDArray[np.float64]: ...

@final
class DsirSelection:
    @property
    def row(self) -> npt.NDArray[np.uint64]: ...
    @property
    def target(self) -> npt.NDArray[np.uint32]: ...
    @property
    def log_weight(self) -> npt.NDArray[np.float64]: ...
    @property
    def key(self) -> npt.NDArray[np.float64]: ...
    @property
    def tokens(self) -> npt.NDArray[np.uint32]: ...
    @property
    def documents(self) -> int: ...
    @property
    def eligible(self) -> int: ...
    @property
    def kl_reduction(self) -> list[float]: ...
    @property
    def selected_counts(self) -> npt.NDArray[np.uint64]: ...
    @property
    def rows(self) -> Any: ...

def dsir_select(
    model: DsirModel,
    source: _ArrowStream | SpilledCorpus,
    column: str,
    k: list[int],
    seed: int,
    method: str = "gumbel",
    temperature: float = 1.0,
    normalize: str = "none",
    clip: tuple[float, float] | None = None,
    min_length: int = 0,
    keep_all_columns: bool = True,
    chunk_words: int | None = None,
    progress: _Progress | None = None,
    tokens: list[int] | None = None,
    counter: TokenCounter | None = None,
    token_column: str | None = None,
) -> DsirSelection: ...
def feature_buckets(
    text: str, ngrams: int, num_buckets: int, hash: str
) -> list[tuple[str, int]]: ...
def kl_reduction(
    target: npt.NDArray[np.uint64], raw: npt.NDArray[np.uint64], selected: npt.NDArray[np.uint64]
) -> float: ...

# fastText classifiers (thresher.quality)
@final
class FastTextModel:
    def __new__(cls, path: str | os.PathLike[str]) -> FastTextModel: ...
    @staticmethod
    def from_bytes(data: bytes) -> FastTextModel: ...
    def to_bytes(self) -> bytes: ...
    def save(self, path: str | os.PathLike[str]) -> None: ...
    def predict(
        self,
        source: _ArrowStream | SpilledCorpus,
        text_column: str = "text",
        k: int = 1,
        threshold: float = 0.0,
        newlines: str = ...,
        progress: _Progress | None = None,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def nwords(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def loss(self) -> str: ...
    @property
    def quantized(self) -> bool: ...
    @property
    def args(self) -> list[tuple[str, int]]: ...
    @property
    def t(self) -> float: ...
    @property
    def path(self) -> str: ...

# Token counts and budgets (thresher.tokens)
@final
class TokenCounter:
    def __new__(
        cls, path: str | os.PathLike[str], add_special_tokens: bool = False
    ) -> TokenCounter: ...
    @staticmethod
    def from_json(json: str, add_special_tokens: bool = False) -> TokenCounter: ...
    def count(
        self,
        source: _ArrowStream | SpilledCorpus,
        text_column: str = "text",
        progress: _Progress | None = None,
    ) -> npt.NDArray[np.uint32]: ...
    @property
    def add_special_tokens(self) -> bool: ...
    @property
    def path(self) -> str: ...

def take_until_budget(
    order: npt.NDArray[np.uint64], tokens: npt.NDArray[np.uint32], budget: int
) -> npt.NDArray[np.int64]: ...
def take_until_budgets(
    order: npt.NDArray[np.uint64],
    tokens: npt.NDArray[np.uint32],
    groups: npt.NDArray[np.uint32],
    budgets: list[int],
) -> npt.NDArray[np.int64]: ...
def sample_budget(
    tokens: npt.NDArray[np.uint32],
    budgets: list[int],
    seed: int,
    weights: _Weights | None = None,
    groups: npt.NDArray[np.uint32] | None = None,
) -> npt.NDArray[np.int64]: ...
def budget_sample(
    source: _ArrowStream | SpilledCorpus,
    budget: int,
    seed: int,
    weight_column: str | None = None,
    counter: TokenCounter | None = None,
    text_column: str = "text",
    token_column: str | None = None,
    progress: _Progress | None = None,
) -> tuple[Any, npt.NDArray[np.int64], npt.NDArray[np.uint32], int]: ...

# Sampling (thresher.sample)
_Weights = npt.NDArray[np.float64] | npt.NDArray[np.float32]

def sample_uniform(n: int, k: int, seed: int) -> npt.NDArray[np.int64]: ...
def sample_weighted(weights: _Weights, k: int, seed: int) -> npt.NDArray[np.int64]: ...
def sample_keyed(
    weights: _Weights, k: int, seed: int, start: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], int]: ...
def merge_keyed(
    indices: npt.NDArray[np.int64], keys: npt.NDArray[np.float64], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
def sample_with_replacement(weights: _Weights, count: int, seed: int) -> npt.NDArray[np.int64]: ...
def group_sizes(
    labels: npt.NDArray[np.integer[Any]], low: int, groups: int, weights: _Weights | None = None
) -> list[int]: ...
def sample_stratified(
    labels: npt.NDArray[np.integer[Any]],
    low: int,
    quotas: list[int],
    seed: int,
    weights: _Weights | None = None,
) -> npt.NDArray[np.int64]: ...
def allocate(total: int, scores: list[float], caps: list[int]) -> list[int]: ...
def mixture_temperature(sizes: list[float], temperature: float) -> list[float]: ...
def mixture_unimax(sizes: list[float], budget: float, max_epochs: float) -> list[float]: ...
def permutation(n: int, seed: int, stream: int) -> npt.NDArray[np.int64]: ...
def reservoir(
    source: _ArrowStream | SpilledCorpus,
    k: int,
    seed: int,
    weight_column: str | None = None,
    progress: _Progress | None = None,
) -> tuple[Any, npt.NDArray[np.int64], int]: ...
def take_rows(
    source: _ArrowStream | SpilledCorpus,
    rows: npt.NDArray[np.int64],
    progress: _Progress | None = None,
) -> Any: ...
def collect_columns(
    source: _ArrowStream | SpilledCorpus, names: list[str], progress: _Progress | None = None
) -> list[Any]: ...

@final
class MinHasher:
    def __new__(
        cls,
        num_perm: int = 128,
        ngram: int = 5,
        scheme: str = "thresher",
        seed: int = 1,
        unit: str = "word",
        lowercase: bool = True,
        punctuation: bool = True,
        digits: bool = False,
        nfkc: bool = False,
    ) -> MinHasher: ...
    @property
    def num_perm(self) -> int: ...
    @property
    def scheme(self) -> str: ...
    @property
    def seed(self) -> int: ...
    def shingles(self, text: str) -> list[str]: ...
    def signatures(
        self, source: _ArrowStream, column: str, progress: _Progress | None = None
    ) -> npt.NDArray[np.uint32]: ...
    def signatures_of_list(self, texts: list[str]) -> npt.NDArray[np.uint32]: ...
    def exact_similarities(self, a: list[str], b: list[str]) -> npt.NDArray[np.float64]: ...

def optimal_param(
    threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]: ...

@final
class DedupCounts:
    @property
    def documents(self) -> int: ...
    @property
    def clusters(self) -> int: ...
    @property
    def duplicates(self) -> int: ...
    @property
    def bytes(self) -> int: ...
    @property
    def bytes_removed(self) -> int: ...
    @property
    def candidate_pairs(self) -> int: ...
    @property
    def verified_pairs(self) -> int: ...
    @property
    def bands(self) -> int: ...
    @property
    def rows(self) -> int: ...

@final
class Duplicates:
    @property
    def cluster_id(self) -> npt.NDArray[np.uint64]: ...
    @property
    def is_duplicate(self) -> npt.NDArray[np.bool_]: ...
    @property
    def similarity(self) -> npt.NDArray[np.float32]: ...
    @property
    def summary(self) -> DedupCounts: ...

def near_dedup(
    hasher: MinHasher,
    source: _ArrowStream | SpilledCorpus,
    column: str,
    threshold: float,
    bands: int,
    rows: int,
    verify: str,
    keep: str = "first",
    score_column: str | None = None,
    scores: list[float] | None = None,
    max_group: int = ...,
    second_pass: _ArrowStream | SpilledCorpus | None = None,
    progress: _Progress | None = None,
    *,
    memory: int | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
) -> Duplicates: ...
def near_dedup_signatures(
    signatures: npt.NDArray[np.uint32],
    threshold: float,
    bands: int,
    rows: int,
    keep: str = "first",
    scores: list[float] | None = None,
    lengths: npt.NDArray[np.uint64] | None = None,
    max_group: int = ...,
    *,
    memory: int | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
) -> Duplicates: ...
def near_dedup_texts(
    hasher: MinHasher,
    texts: list[str],
    threshold: float,
    bands: int,
    rows: int,
    verify: str,
    keep: str = "first",
    scores: list[float] | None = None,
    max_group: int = ...,
) -> Duplicates: ...
def exact_dedup(
    source: _ArrowStream | SpilledCorpus,
    column: str,
    lowercase: bool = True,
    punctuation: bool = True,
    digits: bool = False,
    nfkc: bool = False,
    progress: _Progress | None = None,
) -> Duplicates: ...

# ---------------------------------------------------------------- clustering, diversity
_Dense = npt.NDArray[np.float32] | npt.NDArray[np.float16] | npt.NDArray[np.float64]

@final
class KMeansFit:
    @property
    def centroids(self) -> npt.NDArray[np.float32]: ...
    @property
    def labels(self) -> npt.NDArray[np.uint32]: ...
    @property
    def distances(self) -> npt.NDArray[np.float32]: ...
    @property
    def inertia(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def inertia_history(self) -> list[float]: ...

def kmeans_fit(
    x: _Dense,
    k: int,
    metric: str = "euclidean",
    max_iter: int = 20,
    tol: float = 1e-4,
    seed: int = 0,
    init: str = "k-means++",
    init_centroids: npt.NDArray[np.float32] | None = None,
    n_local_trials: int | None = None,
    max_points_per_centroid: int | None = None,
    batch_size: int | None = None,
    progress: _Progress | None = None,
) -> KMeansFit: ...
def kmeans_assign(
    x: _Dense, centroids: npt.NDArray[np.float32], metric: str = "euclidean"
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float32], float]: ...
def hierarchical_kmeans(
    x: _Dense,
    levels: list[int],
    metric: str = "euclidean",
    max_iter: int = 20,
    tol: float = 1e-4,
    seed: int = 0,
    init: str = "k-means++",
    n_local_trials: int | None = None,
    max_points_per_centroid: int | None = None,
    progress: _Progress | None = None,
) -> list[KMeansFit]: ...
def balanced_tree_sample(
    parents: list[npt.NDArray[np.uint32]], budget: int, seed: int
) -> npt.NDArray[np.uint64]: ...
def balanced_select(
    labels: npt.NDArray[np.uint32],
    budget: int,
    scores: npt.NDArray[np.float64] | None = None,
    allocation: str = "uniform",
    weights: list[float] | None = None,
    seed: int = 0,
) -> npt.NDArray[np.uint64]: ...
def k_center_greedy(
    x: _Dense,
    k: int,
    metric: str = "euclidean",
    seed: int = 0,
    initial: list[int] | None = None,
    progress: _Progress | None = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64]]: ...
def semantic_dedup(
    x: _Dense,
    labels: npt.NDArray[np.uint32],
    threshold: float,
    scores: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], npt.NDArray[np.float32]]: ...
def gme_rank(
    items: npt.NDArray[np.uint32],
    n_items: int,
    columns: list[npt.NDArray[np.uint32]],
    n_values: list[int],
    selector: str = "dutopia",
    binarised: bool = False,
    n: int = 1,
    approx: int | None = None,
    seed: int = 0,
    progress: _Progress | None = None,
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...

# mixing (QuaDMix): params are (weights, threshold, steepness, rate) per domain.
def quadmix_quality(
    scores: list[npt.NDArray[np.float64]],
    domains: npt.NDArray[np.uint32],
    params: list[tuple[list[float], float, float, float]],
    normalize_by: str,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def quadmix_expected(
    scores: list[npt.NDArray[np.float64]],
    domains: npt.NDArray[np.uint32],
    params: list[tuple[list[float], float, float, float]],
    normalize_by: str,
) -> npt.NDArray[np.float64]: ...
def draw_copies(expected: npt.NDArray[np.float64], seed: int) -> npt.NDArray[np.uint32]: ...

# rebalance and valuation (rust/python/src/rebalance.rs)
_Features = npt.NDArray[np.float32] | npt.NDArray[np.float64]

@final
class Resampled:
    @property
    def x(self) -> npt.NDArray[np.float32] | npt.NDArray[np.float64]: ...
    @property
    def labels(self) -> npt.NDArray[np.uint32]: ...
    @property
    def parent(self) -> npt.NDArray[np.int64]: ...
    @property
    def neighbor(self) -> npt.NDArray[np.int64]: ...
    @property
    def gap(self) -> npt.NDArray[np.float64]: ...

def resample(
    x: _Features,
    labels: npt.NDArray[np.uint32],
    targets: list[int],
    method: str = "smote",
    k_neighbors: int = 5,
    seed: int = 0,
    cell_size: int | None = None,
    probe: int = 3,
) -> Resampled: ...
def nearest_neighbors(
    x: _Features, k: int, seed: int = 0, cell_size: int | None = None, probe: int = 3
) -> npt.NDArray[np.uint32]: ...
def knn_shapley(
    x_train: _Features,
    y_train: npt.NDArray[np.uint32],
    x_val: _Features,
    y_val: npt.NDArray[np.uint32],
    k: int,
    progress: _Progress | None = None,
) -> npt.NDArray[np.float64]: ...

# shared by the local and Ray paths (rust/python/src/shared.rs)
LSH_MAX_GROUP: int

def lsh_band_hashes(slots: npt.NDArray[np.uint32], band: int) -> npt.NDArray[np.uint64]: ...
def lsh_band_pairs(
    bands: npt.NDArray[np.uint32],
    keys: npt.NDArray[np.uint64],
    ids: npt.NDArray[np.int64],
    slots: npt.NDArray[np.uint32],
    max_group: int = ...,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
def lsh_exact_floor(threshold: float, num_perm: int) -> float: ...
def dedup_score_values(
    source: _ArrowStream, column: str, first_row: int
) -> npt.NDArray[np.float64]: ...
def stratified_group_seed(seed: int, group: int) -> int: ...
def check_weights(
    weights: npt.NDArray[np.float64] | npt.NDArray[np.float32], rows: npt.NDArray[np.int64]
) -> int: ...
def dsir_check_select(
    model: DsirModel,
    k: list[int],
    seed: int,
    method: str = "gumbel",
    temperature: float = 1.0,
    normalize: str = "none",
    clip: tuple[float, float] | None = None,
    min_length: int = 0,
) -> None: ...
def dsir_check_eligible(total_k: int, eligible: int, documents: int, min_length: int) -> None: ...
def dsir_best(
    rows: npt.NDArray[np.uint64], keys: npt.NDArray[np.float64], k: int
) -> npt.NDArray[np.int64]: ...
def dsir_resolve(
    rows: npt.NDArray[np.uint64],
    targets: npt.NDArray[np.uint32],
    keys: npt.NDArray[np.float64],
    log_weights: npt.NDArray[np.float64],
    k: list[int],
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], npt.NDArray[np.float64]]: ...

# Heuristic quality filters (thresher.filters)
@final
class FilterConfig:
    def __new__(
        cls,
        language: str = "en",
        gopher_quality: list[tuple[str, float | None]] | None = None,
        stop_words: list[str] | None = None,
        gopher_repetition: list[tuple[str, float | None]] | None = None,
        top_n_grams: list[tuple[int, float]] | None = None,
        dup_n_grams: list[tuple[int, float]] | None = None,
        c4: list[tuple[str, float]] | None = None,
        fineweb: list[tuple[str, float]] | None = None,
        stop_chars: list[str] | None = None,
    ) -> FilterConfig: ...
    @property
    def rule_sets(self) -> list[str]: ...
    @property
    def stat_names(self) -> list[str]: ...
    @property
    def language(self) -> str: ...

@final
class FilterOutput:
    @property
    def rule_sets(self) -> list[str]: ...
    @property
    def stat_names(self) -> list[str]: ...
    def keep(self, i: int) -> npt.NDArray[np.bool_]: ...
    def reason(self, i: int) -> list[str | None]: ...
    def stat(self, i: int) -> npt.NDArray[np.float64]: ...
    @property
    def c4_text(self) -> list[str | None] | None: ...
    def __len__(self) -> int: ...

def filter_corpus(
    source: _ArrowStream | SpilledCorpus | JsonlFiles,
    config: FilterConfig,
    text_column: str = "text",
    progress: _Progress | None = None,
) -> FilterOutput: ...
def filter_texts(texts: list[str], config: FilterConfig) -> FilterOutput: ...
def filter_words(text: str, language: str = "en") -> list[str]: ...

# quality: trained classifiers (rust/python/src/quality_train.rs)
@final
class TrainedModel:
    def to_bytes(self) -> bytes: ...
    def save(self, path: os.PathLike[str] | str) -> None: ...
    @property
    def labels(self) -> list[str]: ...
    def probabilities(self, texts: _ArrowStream) -> npt.NDArray[np.float32]: ...

def train_classifier(
    texts: _ArrowStream,
    labels: npt.NDArray[np.uint32],
    names: list[str],
    *,
    dim: int,
    epochs: int,
    lr: float,
    word_ngrams: int,
    min_count: int,
    bucket: int,
    minn: int,
    maxn: int,
    loss: str,
    holdout: float,
    seed: int,
    progress: _Progress | None = None,
) -> tuple[TrainedModel, dict[str, Any]]: ...
def roc_auc(scores: npt.NDArray[np.float64], positive: npt.NDArray[np.bool_]) -> float | None: ...
def pareto_keep(
    scores: npt.NDArray[np.float64], alpha: float, seed: int
) -> npt.NDArray[np.bool_]: ...
