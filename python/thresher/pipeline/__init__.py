"""One command for a whole curation: ``thresher run pipeline.toml`` and
:class:`thresher.Pipeline`.

A pipeline declares its input, its output and its steps (see
:mod:`thresher.pipeline.config` for the file format and :mod:`thresher.pipeline.steps`
for the step types). A run:

1. checks everything before any work: unknown steps, parameters of the wrong type, a
   column that no earlier step makes, missing inputs (errors name the line);
2. reads the corpus once, block by block, running every step's per-document part on
   each block (word counts, MinHash signatures, DSIR feature counts...) and saving
   the columns as side files keyed by row;
3. runs the stages that need the whole pass (DSIR's model and weights, from a copy of
   the text kept in the work directory);
4. runs every global decision (length bounds, near-duplicate clusters, DSIR
   resampling, samples, mixture quotas) in order, on annotations only;
5. reads the corpus a second time and writes the kept rows, as shards with a
   manifest or one file, with ``stats.json`` and ``report.html``.

The corpus files are read at most twice whatever the number of steps. Every unit
(a block's side files, a stage, a decision, an output part) is written under a
temporary name and renamed when complete, so a run killed at any point and started
again with the same command continues from its last completed unit and produces the
same bytes (see :mod:`thresher.pipeline.state`).
"""

from thresher.pipeline.config import PipelineConfig, load_config, parse_config
from thresher.pipeline.runner import Pipeline, RunResult

__all__ = ["Pipeline", "PipelineConfig", "RunResult", "load_config", "parse_config"]
