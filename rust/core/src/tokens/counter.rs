//! Token counts of documents with a Hugging Face tokenizer (`tokenizer.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type};
use arrow_array::types::{UInt64Type, UInt8Type};
use arrow_array::{Array, ArrowPrimitiveType, RecordBatch};
use arrow_schema::DataType;
use rayon::prelude::*;
use tokenizers::Tokenizer;

use crate::stream::{for_each_batch, BatchStream, Progress};
use crate::text::{column_by_name, reject_nulls, TextColumn};
use crate::{Error, Location, Result};

/// Counts tokens of documents with a tokenizer loaded from a `tokenizer.json`.
///
/// Counts are of whole documents: the file's truncation and padding settings are
/// removed on load (a padded or truncated length is not the document's size). Special
/// tokens the post-processor adds (BOS, EOS, `[CLS]`...) are left out unless
/// [`TokenCounter::with_special_tokens`] asks for them; special tokens written in the
/// text itself are matched as the tokenizer always does.
///
/// Each document is encoded by one call of `Tokenizer::encode_fast` on a thread of the
/// current rayon pool (thresher's pool when called through the binding); the crate's
/// own batch parallelism is never used, so the pool is not oversubscribed.
#[derive(Clone)]
pub struct TokenCounter {
    tokenizer: Arc<Tokenizer>,
    special_tokens: bool,
    /// Where the tokenizer came from, for error messages.
    origin: PathBuf,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCounter")
            .field("origin", &self.origin)
            .field("special_tokens", &self.special_tokens)
            .finish()
    }
}

impl TokenCounter {
    /// Load `path` (a `tokenizer.json`); a missing file is [`Error::Io`], a file that
    /// is not a valid tokenizer is [`Error::BadTokenizer`], both naming it.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&bytes, path.to_path_buf())
    }

    /// Load a tokenizer from the bytes of a `tokenizer.json` (named `<memory>` in
    /// errors).
    pub fn from_bytes(json: &[u8]) -> Result<Self> {
        Self::parse(json, PathBuf::from("<memory>"))
    }

    fn parse(json: &[u8], origin: PathBuf) -> Result<Self> {
        let mut tokenizer = Tokenizer::from_bytes(json).map_err(|e| Error::BadTokenizer {
            path: origin.clone(),
            message: e.to_string(),
        })?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::BadTokenizer {
                path: origin.clone(),
                message: e.to_string(),
            })?;
        Ok(TokenCounter {
            tokenizer: Arc::new(tokenizer),
            special_tokens: false,
            origin,
        })
    }

    /// Count the special tokens the post-processor adds (`add_special_tokens=True`).
    pub fn with_special_tokens(mut self, yes: bool) -> Self {
        self.special_tokens = yes;
        self
    }

    /// Whether added special tokens are counted.
    pub fn special_tokens(&self) -> bool {
        self.special_tokens
    }

    /// Where the tokenizer was loaded from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// The tokens of one text. An encoding failure is [`Error::Parse`] naming
    /// `location`.
    pub fn count_one(&self, text: &str, location: impl Fn() -> Location) -> Result<u32> {
        let encoding = self
            .tokenizer
            .encode_fast(text, self.special_tokens)
            .map_err(|e| Error::Parse {
                location: location(),
                message: format!(
                    "tokenizer {} failed on this text: {e}",
                    self.origin.display()
                ),
            })?;
        u32::try_from(encoding.len()).map_err(|_| Error::Parse {
            location: location(),
            message: "the document has more than 2^32 - 1 tokens".into(),
        })
    }

    /// The tokens of each text, in order, counted in parallel on the current rayon
    /// pool. Errors name the row (`first_row + i`); the result does not depend on the
    /// thread count.
    pub fn count<S: AsRef<str> + Sync>(&self, texts: &[S], first_row: u64) -> Result<Vec<u32>> {
        texts
            .par_iter()
            .enumerate()
            .with_min_len(8)
            .map(|(i, t)| {
                self.count_one(t.as_ref(), || Location::Row {
                    row: first_row + i as u64,
                })
            })
            .collect()
    }

    /// The tokens of each row of a string column (`first_row` numbers its rows).
    pub fn count_column(&self, text: TextColumn<'_>, first_row: u64) -> Result<Vec<u32>> {
        (0..text.len())
            .into_par_iter()
            .with_min_len(8)
            .map(|i| {
                self.count_one(text.value(i), || Location::Row {
                    row: first_row + i as u64,
                })
            })
            .collect()
    }
}

/// Where each document's token count comes from.
#[derive(Clone, Debug)]
pub enum DocTokens {
    /// Counted with a tokenizer on the text column `column`.
    Count {
        /// The tokenizer.
        counter: TokenCounter,
        /// The text column.
        column: String,
    },
    /// Read from a non-negative integer column (counts computed earlier).
    Column(String),
}

impl DocTokens {
    /// The token count of every row of `batch` (`first_row` numbers its rows).
    pub fn counts(&self, batch: &RecordBatch, first_row: u64) -> Result<Vec<u32>> {
        match self {
            DocTokens::Count { counter, column } => {
                let text = TextColumn::from_batch(batch, column, first_row)?;
                counter.count_column(text, first_row)
            }
            DocTokens::Column(name) => token_column(batch, name, first_row),
        }
    }

    /// The column these counts read, to check it exists before a pass.
    pub fn column(&self) -> &str {
        match self {
            DocTokens::Count { column, .. } => column,
            DocTokens::Column(name) => name,
        }
    }
}

/// The token count of every row of `stream`, in order (one pass; the counts of each
/// batch are computed in parallel on the current rayon pool).
pub fn count_stream(
    stream: BatchStream,
    counts: &DocTokens,
    progress: &dyn Progress,
) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for_each_batch(stream, progress, |batch, first_row| {
        out.extend(counts.counts(batch, first_row)?);
        Ok(true)
    })?;
    Ok(out)
}

/// The counts of the integer column `name` of `batch`: non-null, in `[0, 2^32)`.
fn token_column(batch: &RecordBatch, name: &str, first_row: u64) -> Result<Vec<u32>> {
    let array = column_by_name(batch, name, first_row)?;
    reject_nulls(array.as_ref(), name, first_row)?;
    let bad_type = || Error::FieldType {
        location: Location::Row { row: first_row },
        field: name.to_string(),
        expected: "an integer column of token counts".into(),
        found: array.data_type().to_string(),
    };
    let array = array.as_ref();
    match array.data_type() {
        DataType::UInt32 => Ok(array.as_primitive::<UInt32Type>().values().to_vec()),
        DataType::UInt8 => convert::<UInt8Type>(array, name, first_row),
        DataType::UInt16 => convert::<UInt16Type>(array, name, first_row),
        DataType::UInt64 => convert::<UInt64Type>(array, name, first_row),
        DataType::Int8 => convert::<Int8Type>(array, name, first_row),
        DataType::Int16 => convert::<Int16Type>(array, name, first_row),
        DataType::Int32 => convert::<Int32Type>(array, name, first_row),
        DataType::Int64 => convert::<Int64Type>(array, name, first_row),
        _ => Err(bad_type()),
    }
}

fn convert<T>(array: &dyn Array, name: &str, first_row: u64) -> Result<Vec<u32>>
where
    T: ArrowPrimitiveType,
    T::Native: TryInto<u32> + Copy + std::fmt::Display,
{
    let values = array.as_primitive::<T>().values();
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            v.try_into().map_err(|_| Error::Parse {
                location: Location::Row {
                    row: first_row + i as u64,
                },
                message: format!("token count {name:?} must be in [0, 2^32), got {v}"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, StringArray};
    use std::sync::Arc as StdArc;

    /// A word-level tokenizer over whitespace-split words, with `[UNK]`, and a
    /// template post-processor adding `[CLS]` and `[SEP]`.
    pub(crate) const WORDS: &str = r#"{
      "version": "1.0",
      "truncation": {"direction": "Right", "max_length": 2, "strategy": "LongestFirst", "stride": 0},
      "padding": null,
      "added_tokens": [
        {"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
        {"id": 1, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
        {"id": 2, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
      ],
      "normalizer": {"type": "Lowercase"},
      "pre_tokenizer": {"type": "Whitespace"},
      "post_processor": {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {
          "[CLS]": {"id": "[CLS]", "ids": [1], "tokens": ["[CLS]"]},
          "[SEP]": {"id": "[SEP]", "ids": [2], "tokens": ["[SEP]"]}
        }
      },
      "decoder": null,
      "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "the": 3, "cat": 4, "sat": 5, ".": 6}, "unk_token": "[UNK]"}
    }"#;

    #[test]
    fn counts_words_without_special_tokens_and_ignores_truncation() {
        let counter = TokenCounter::from_bytes(WORDS.as_bytes()).unwrap();
        // The file truncates to 2 tokens: counts are of the whole text all the same.
        let got = counter
            .count(&["The cat sat.", "", "dog dog dog dog dog"], 0)
            .unwrap();
        assert_eq!(got, vec![4, 0, 5]);
        let with = counter.clone().with_special_tokens(true);
        assert_eq!(with.count(&["The cat sat."], 0).unwrap(), vec![6]);
    }

    #[test]
    fn counts_do_not_depend_on_the_thread_count() {
        let counter = TokenCounter::from_bytes(WORDS.as_bytes()).unwrap();
        let texts: Vec<String> = (0..500)
            .map(|i| "the cat sat . ".repeat(i % 17) + &"x ".repeat(i % 5))
            .collect();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| counter.count(&texts, 0).unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(3));
        assert_eq!(one[16], 16 * 4 + 1); // and one [UNK] for the "x"
    }

    #[test]
    fn a_bad_tokenizer_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        std::fs::write(&path, b"{\"model\": 3}").unwrap();
        let err = TokenCounter::from_file(&path).unwrap_err();
        assert!(matches!(err, Error::BadTokenizer { .. }), "{err:?}");
        assert!(err.to_string().contains("tokenizer.json"), "{err}");
        let missing = TokenCounter::from_file(dir.path().join("nope.json")).unwrap_err();
        assert!(matches!(missing, Error::Io { .. }));
    }

    #[test]
    fn doc_tokens_read_a_counter_or_an_integer_column() {
        let counter = TokenCounter::from_bytes(WORDS.as_bytes()).unwrap();
        let batch = RecordBatch::try_from_iter([
            (
                "text",
                StdArc::new(StringArray::from(vec!["the cat", "sat"])) as _,
            ),
            ("n", StdArc::new(Int64Array::from(vec![7, 0])) as _),
            ("bad", StdArc::new(Int64Array::from(vec![1, -1])) as _),
        ])
        .unwrap();
        let counted = DocTokens::Count {
            counter,
            column: "text".into(),
        };
        assert_eq!(counted.counts(&batch, 0).unwrap(), vec![2, 1]);
        assert_eq!(
            DocTokens::Column("n".into()).counts(&batch, 0).unwrap(),
            vec![7, 0]
        );
        let err = DocTokens::Column("bad".into())
            .counts(&batch, 10)
            .unwrap_err();
        assert!(err.to_string().contains("row 11"), "{err}");
        let err = DocTokens::Column("text".into())
            .counts(&batch, 0)
            .unwrap_err();
        assert!(matches!(err, Error::FieldType { .. }));
    }
}
