//! Several JSONL files read one after the other as one stream.

use std::path::PathBuf;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::jsonl_reader::{open_jsonl, JsonlOptions, JsonlReader};
use crate::stream::BatchStream;
use crate::{Error, Result};

/// Open `paths` in order as one stream. The first file's schema (given or inferred)
/// is used for every file, so that all batches share one schema; a file is opened
/// only when the previous one is exhausted.
pub fn open_jsonl_files(
    paths: &[PathBuf],
    options: &JsonlOptions,
) -> Result<(SchemaRef, BatchStream)> {
    let Some((first, rest)) = paths.split_first() else {
        return Err(Error::EmptyInput {
            what: "file list".into(),
            detail: "no path was given".into(),
        });
    };
    let reader = open_jsonl(first, options)?;
    let schema = reader.schema();
    let options = JsonlOptions {
        schema: Some(schema.clone()),
        ..options.clone()
    };
    let chain = Chain {
        current: Some(reader),
        rest: rest.iter().rev().cloned().collect(),
        options,
    };
    Ok((schema, Box::new(chain)))
}

struct Chain {
    current: Option<JsonlReader>,
    /// Files still to open, last first (so `pop` takes the next one).
    rest: Vec<PathBuf>,
    options: JsonlOptions,
}

impl Iterator for Chain {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = self.current.as_mut() {
                match reader.next() {
                    Some(Err(e)) => {
                        self.current = None;
                        self.rest.clear();
                        return Some(Err(e));
                    }
                    Some(ok) => return Some(ok),
                    None => self.current = None,
                }
            }
            let path = self.rest.pop()?;
            match open_jsonl(&path, &self.options) {
                Ok(reader) => self.current = Some(reader),
                Err(e) => {
                    self.rest.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}
