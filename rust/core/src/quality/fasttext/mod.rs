//! fastText supervised classifiers: the file format, the dictionary and its hashing,
//! the model's losses and the prediction of documents.
//!
//! - [`format`]: reading and writing the `.bin` / `.ftz` layout (magic, version,
//!   arguments, dictionary, dense or product-quantized matrices);
//! - [`dictionary`]: word lookup, character and word n-gram hashing, pruned buckets;
//! - [`matrix`]: dense and product-quantized matrices (rows added, rows dotted);
//! - [`model`]: the in-memory [`Model`] and its losses (softmax, hierarchical softmax,
//!   one-vs-all and negative sampling);
//! - [`predict`]: fastText's line reading and the top-k labels of documents, in
//!   parallel over documents.

pub mod dictionary;
pub mod format;
pub mod matrix;
pub mod model;
pub mod predict;

pub use dictionary::{Dictionary, Entry, EntryType};
pub use format::{from_bytes, read, to_bytes, write, FILE_MAGIC, FILE_VERSION};
pub use matrix::{DenseMatrix, Matrix, ProductQuantizer, QuantMatrix};
pub use model::{Args, LossName, Model, ModelName};
pub use predict::{
    predict_array, predict_stream, predict_texts, Newlines, PredictOptions, Predictions,
};
