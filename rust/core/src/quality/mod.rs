//! Document quality signals: models that score each document of a corpus.
//!
//! `fasttext` reads, writes and runs fastText supervised classifiers (`.bin` and
//! quantized `.ftz` files, such as the `lid.176` language identifier), with the
//! tokenization, hashing and maths of the fastText C++ library so that labels and
//! probabilities agree with the `fasttext` Python package.
//!
//! `train` trains such classifiers (hashed n-gram linear models) from labelled texts,
//! deterministically for a seed whatever the thread count.
//! `select` keeps documents by score with the GPT-3 Pareto-noise rule.

pub mod fasttext;
pub mod select;
pub mod train;
