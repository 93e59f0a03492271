//! Document quality signals: models that score each document of a corpus.
//!
//! `fasttext` reads, writes and runs fastText supervised classifiers (`.bin` and
//! quantized `.ftz` files, such as the `lid.176` language identifier), with the
//! tokenization, hashing and maths of the fastText C++ library so that labels and
//! probabilities agree with the `fasttext` Python package.

pub mod fasttext;
