//! Reading and writing corpora as JSON Lines files, plain or compressed.
//!
//! - [`open_jsonl`] streams a JSONL file as Arrow record batches, naming the file
//!   and line of any bad record.
//! - [`JsonlWriter`] writes record batches to a JSONL file atomically.
//! - [`open_decoded`] opens a file through its decompressor (gzip or zstd,
//!   detected from the magic bytes).

mod compression;
mod decode;
mod diagnose;
mod files;
mod frames;
mod infer;
mod jsonl_reader;
mod jsonl_writer;
mod lines;
mod parallel;

pub use compression::{into_error, open_decoded, Compression};
pub use files::open_jsonl_files;
pub use jsonl_reader::{open_jsonl, JsonlOptions, JsonlReader};
pub use jsonl_writer::JsonlWriter;
