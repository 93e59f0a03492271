"""The step types a pipeline file can use, by their ``type`` name.

========== ============================================================ ==============
type       what it does                                                 columns made
========== ============================================================ ==============
length     word, character and byte bounds                              words, chars
tokens     tokenizer.json token counts (optional bounds)                tokens
filter     keep rows by any column's value (range or list)              --
quality    Gopher quality/repetition, C4, FineWeb rules (datatrove's)   quality_keep,
                                                                        <rule>_keep,
                                                                        the rules'
                                                                        statistics
dedup      near-duplicate removal (MinHash LSH)                         minhash,
                                                                        cluster_id,
                                                                        is_duplicate
dsir       importance weights toward a target; optional resampling      dsir_log_weight,
                                                                        dsir_tokens
sample     uniform, weighted or stratified sample (k, fraction, tokens) --
mixture    shares per label (k or tokens; weights, temperature, unimax) --
langid     fastText language ID; keep by language set and score         language,
                                                                        language_score
========== ============================================================ ==============

Every run also annotates ``bytes`` (UTF-8 bytes of the text) and makes available the
input columns that steps name.
"""

from __future__ import annotations

from thresher.pipeline.steps.base import Decision, Step
from thresher.pipeline.steps.dedup import DedupStep
from thresher.pipeline.steps.dsir import DsirStep
from thresher.pipeline.steps.filter import FilterStep
from thresher.pipeline.steps.langid import LangidStep
from thresher.pipeline.steps.length import LengthStep
from thresher.pipeline.steps.mixture import MixtureStep
from thresher.pipeline.steps.quality import QualityStep
from thresher.pipeline.steps.sample import SampleStep
from thresher.pipeline.steps.tokens import TokensStep

__all__ = ["STEP_TYPES", "Decision", "Step"]

STEP_TYPES: dict[str, type[Step]] = {
    cls.type: cls
    for cls in (
        LengthStep,
        TokensStep,
        FilterStep,
        LangidStep,
        QualityStep,
        DedupStep,
        DsirStep,
        SampleStep,
        MixtureStep,
    )
}
