//! Streaming reader of JSON Lines files (plain, gzip or zstd) into record batches.
//!
//! The fast path copies each batch's lines into one reusable buffer and feeds them
//! line by line to arrow-json's [`Decoder`]; only when arrow rejects a batch is it
//! re-examined line by line (the `diagnose` module) to name the line at fault and
//! say what is wrong with it, so valid input pays nothing for good error messages.
//!
//! Behaviour worth knowing:
//! - Blank and whitespace-only lines are skipped, but counted: every error names
//!   the true 1-based line number of the file.
//! - Each non-blank line must hold exactly one JSON object.
//! - Fields absent from the schema are ignored (arrow-json's non-strict mode), so a
//!   field first seen after the inference window is dropped; pass a schema to keep it.
//! - Numbers and booleans are accepted, as text, in string fields other than the
//!   text column (arrow's inference types a field seen both as number and string as
//!   a string). The text column is strict: it must be a JSON string on every line.
//! - A field that is null on every inferred line is read as a nullable string
//!   rather than arrow's `Null` type, which would reject any later value.
//! - arrow-json's tokenizer is more lenient than the JSON grammar: it tolerates raw
//!   control characters inside strings and missing or repeated commas. Such lines
//!   are read as arrow reads them, wherever they are (schema inference, which needs
//!   strict JSON, skips them); validating every line strictly would cost about as
//!   much again as decoding it.

use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_json::reader::Decoder;
use arrow_schema::{DataType, Schema, SchemaRef};
use rayon::ThreadPool;

use super::compression::{open_decoded, Compression};
use super::decode::DecodeContext;
use super::diagnose::LineChecker;
use super::frames::{has_several_frames, ZstdFrames};
use super::infer::infer_schema;
use super::lines::{LineInput, Prefetch};
use super::parallel::{BlockSource, ParallelReader, PlainBlocks, DEFAULT_RANGE_BYTES};
use crate::{Error, Result};

/// How to read a JSONL file.
#[derive(Debug, Clone)]
pub struct JsonlOptions {
    /// Rows per record batch (the last batch may be shorter). Default 8192.
    pub batch_size: usize,
    /// The schema to decode with; `None` infers it from the first lines.
    pub schema: Option<SchemaRef>,
    /// How many non-blank lines schema inference looks at. Default 1000.
    pub infer_rows: usize,
    /// A field every line must have as a JSON string (for example `"text"`).
    pub text_column: Option<String>,
    /// The pool that decodes a large plain file or a multi-frame zstd file in
    /// parallel (see [`JsonlReader`]);
    /// `None`, or a pool of one thread, reads serially. Default `None`.
    pub pool: Option<Arc<ThreadPool>>,
    /// Bytes per range of a parallel read; a file no larger is read serially.
    /// Default 8 MiB.
    pub range_bytes: usize,
}

impl Default for JsonlOptions {
    fn default() -> Self {
        JsonlOptions {
            batch_size: 8192,
            schema: None,
            infer_rows: 1000,
            text_column: None,
            pool: None,
            range_bytes: DEFAULT_RANGE_BYTES,
        }
    }
}

/// Opens a JSONL file (plain, gzip or zstd, see [`open_decoded`]) for reading in
/// record batches.
///
/// Fails if the file cannot be opened, if a line of the inference window is bad
/// (including one without the text column), or if a given schema lacks the text
/// column. Later bad lines are reported by the iterator.
pub fn open_jsonl(path: &Path, options: &JsonlOptions) -> Result<JsonlReader> {
    JsonlReader::open(path, options)
}

/// An iterator over the record batches of a JSONL file.
///
/// It stops after the first error, which names the file and line at fault.
///
/// Serially, a background thread decompresses and splits the next batch of lines
/// while the caller's thread decodes the current one. A plain file larger than
/// [`JsonlOptions::range_bytes`] read with a pool of several threads is instead cut
/// into ranges of whole lines decoded in parallel on the pool (see the `parallel`
/// module), and so is a zstd file of several frames, whose frames are also
/// decompressed in parallel (the `frames` module): the rows, their order and the errors are the same, but a batch never
/// spans two ranges, so batch boundaries differ (every batch still holds at most
/// `batch_size` rows), and the rows handed out before an error may differ.
pub struct JsonlReader {
    engine: Engine,
    context: Arc<DecodeContext>,
    done: bool,
}

/// How batches are produced.
enum Engine {
    Serial {
        prefetch: Prefetch,
        decoder: Box<Decoder>,
    },
    Parallel(Box<ParallelReader>),
}

impl JsonlReader {
    fn open(path: &Path, options: &JsonlOptions) -> Result<Self> {
        if options.batch_size == 0 {
            return Err(Error::invalid("batch_size", "must be at least 1"));
        }
        if options.range_bytes == 0 {
            return Err(Error::invalid("range_bytes", "must be at least 1"));
        }
        if options.schema.is_none() && options.infer_rows == 0 {
            return Err(Error::invalid(
                "infer_rows",
                "must be at least 1 when no schema is given",
            ));
        }
        let mut input = LineInput::new(open_decoded(path)?, path);
        let text = options.text_column.as_deref();
        let schema = match &options.schema {
            Some(schema) => with_text_field(schema, text)?,
            None => infer_schema(&mut input, options.infer_rows, text)?,
        };
        let text_index = text.and_then(|name| schema.index_of(name).ok());
        let context = Arc::new(DecodeContext {
            checker: LineChecker {
                path: path.to_path_buf(),
                schema,
                text: options.text_column.clone(),
            },
            text_index,
            batch_size: options.batch_size,
        });
        let engine = match parallel_source(path, options)? {
            Some((pool, codec)) => {
                let (offset, first_line, replay) = input.split_off();
                drop(input);
                let blocks: Box<dyn BlockSource> = match codec {
                    Compression::Zstd => Box::new(ZstdFrames::open(path, pool.clone(), offset)?),
                    _ => Box::new(PlainBlocks::open(path, offset, options.range_bytes)?),
                };
                Engine::Parallel(Box::new(ParallelReader::new(
                    pool,
                    context.clone(),
                    replay,
                    blocks,
                    first_line,
                    options.range_bytes,
                )))
            }
            None => Engine::Serial {
                decoder: Box::new(context.decoder()?),
                prefetch: Prefetch::spawn(input, options.batch_size)?,
            },
        };
        Ok(JsonlReader {
            engine,
            context,
            done: false,
        })
    }

    /// The schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.context.checker.schema.clone()
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.context.checker.path
    }

    /// Whether the file is decoded in parallel.
    pub fn is_parallel(&self) -> bool {
        matches!(self.engine, Engine::Parallel(_))
    }

    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        match &mut self.engine {
            Engine::Serial { prefetch, decoder } => {
                let Some(lines) = prefetch.next()? else {
                    return Ok(None);
                };
                let batch = self.context.decode(decoder, &lines);
                prefetch.recycle(lines);
                batch.map(Some)
            }
            Engine::Parallel(reader) => reader.next_batch(),
        }
    }
}

/// The pool to decode `path` with, and its codec, if it is worth it: several
/// threads, and a plain file of more than one range or a zstd file of several
/// frames (decompression of one stream is sequential).
fn parallel_source(
    path: &Path,
    options: &JsonlOptions,
) -> Result<Option<(Arc<ThreadPool>, Compression)>> {
    let Some(pool) = options
        .pool
        .as_ref()
        .filter(|p| p.current_num_threads() > 1)
    else {
        return Ok(None);
    };
    let io = |e| Error::io(path, e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Ok(None);
    }
    let mut head = [0u8; 4];
    let n = std::io::Read::read(&mut file, &mut head).map_err(io)?;
    let codec = Compression::detect(path, &head[..n]);
    let worth_it = match codec {
        Compression::None => metadata.len() > options.range_bytes as u64,
        Compression::Zstd => n == head.len() && has_several_frames(path)?,
        Compression::Gzip => false,
    };
    Ok(worth_it.then(|| (pool.clone(), codec)))
}

impl Iterator for JsonlReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_batch();
        if !matches!(next, Ok(Some(_))) {
            self.done = true;
        }
        next.transpose()
    }
}

/// `schema` with the text field (if any) made a nullable string: nullable, so
/// that a missing value reaches [`JsonlReader::check_text`] and is reported as such.
fn with_text_field(schema: &SchemaRef, text: Option<&str>) -> Result<SchemaRef> {
    let Some(name) = text else {
        return Ok(schema.clone());
    };
    let Ok(index) = schema.index_of(name) else {
        return Err(Error::invalid(
            "schema",
            format!("has no field {name:?} (the text column)"),
        ));
    };
    let field = schema.field(index);
    let data_type = match field.data_type() {
        // Keep a string layout the caller chose.
        t @ (DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => t.clone(),
        _ => DataType::Utf8,
    };
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields[index] = Arc::new(
        field
            .as_ref()
            .clone()
            .with_data_type(data_type)
            .with_nullable(true),
    );
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextColumn;
    use crate::Location;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use arrow_array::Array;
    use arrow_schema::Field;
    use std::io::Write;
    use std::path::PathBuf;

    fn options(text: Option<&str>) -> JsonlOptions {
        JsonlOptions {
            text_column: text.map(str::to_string),
            ..Default::default()
        }
    }

    /// Opens and reads the whole file: errors of opening and of reading alike.
    fn read_all(path: &Path, options: &JsonlOptions) -> Result<Vec<RecordBatch>> {
        open_jsonl(path, options)?.collect()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn texts(batches: &[RecordBatch], name: &str) -> Vec<String> {
        batches
            .iter()
            .flat_map(|b| {
                let column = TextColumn::from_batch(b, name, 0).unwrap();
                (0..column.len()).map(move |i| column.value(i).to_string())
            })
            .collect()
    }

    /// Reads `content` with the text column "text" in three ways (errors found by
    /// schema inference, by the batch decoder with the schema inferred from line 1
    /// only, and with a given schema) and checks that all give the same error.
    fn error_of(content: &[u8]) -> Error {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "bad.jsonl", content);
        let schema = Arc::new(Schema::new(vec![Field::new("text", DataType::Utf8, true)]));
        let modes = [
            options(Some("text")),
            JsonlOptions {
                infer_rows: 1,
                batch_size: 2,
                ..options(Some("text"))
            },
            JsonlOptions {
                schema: Some(schema),
                ..options(Some("text"))
            },
        ];
        let errors: Vec<Error> = modes
            .iter()
            .map(|o| read_all(&path, o).expect_err("bad input must fail"))
            .collect();
        for e in &errors {
            assert_eq!(e.to_string(), errors[0].to_string());
            assert!(e.to_string().contains("bad.jsonl"), "{e}");
        }
        errors.into_iter().next().unwrap()
    }

    fn line_of(e: &Error) -> u64 {
        match e {
            Error::Parse { location, .. }
            | Error::MissingField { location, .. }
            | Error::FieldType { location, .. } => match location {
                Location::Line { line, .. } => *line,
                Location::Row { .. } => panic!("no line in {e:?}"),
            },
            other => panic!("no location in {other:?}"),
        }
    }

    const GOOD: &str = "{\"text\": \"a\", \"id\": 1}\n";

    #[test]
    fn reads_and_infers_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"h\xc3\xa9llo\", \"id\": 1, \"tags\": [\"x\"]}\n{\"text\": \"world\", \"id\": 2}\n",
        );
        let reader = open_jsonl(&path, &options(Some("text"))).unwrap();
        assert_eq!(reader.path(), path);
        let schema = reader.schema();
        assert_eq!(
            schema.field_with_name("text").unwrap().data_type(),
            &DataType::Utf8
        );
        assert_eq!(
            schema.field_with_name("id").unwrap().data_type(),
            &DataType::Int64
        );
        let batches: Vec<_> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].schema(), schema);
        assert_eq!(texts(&batches, "text"), ["héllo", "world"]);
        let ids = batches[0]
            .column_by_name("id")
            .unwrap()
            .as_primitive::<Int64Type>();
        assert_eq!(ids.values(), &[1, 2]);
    }

    #[test]
    fn batch_size_is_respected() {
        let dir = tempfile::tempdir().unwrap();
        let content: String = (0..10)
            .map(|i| format!("{{\"text\": \"{i}x\"}}\n\n"))
            .collect();
        let path = write(dir.path(), "a.jsonl", content.as_bytes());
        for infer_rows in [1, 4, 1000] {
            let o = JsonlOptions {
                batch_size: 3,
                infer_rows,
                ..options(Some("text"))
            };
            let batches = read_all(&path, &o).unwrap();
            let sizes: Vec<_> = batches.iter().map(|b| b.num_rows()).collect();
            assert_eq!(sizes, [3, 3, 3, 1]);
            let expected: Vec<String> = (0..10).map(|i| format!("{i}x")).collect();
            assert_eq!(texts(&batches, "text"), expected);
        }
    }

    #[test]
    fn blank_lines_crlf_and_missing_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"\n  \n{\"text\": \"a\"}\r\n\t\r\n{\"text\": \"b\"}",
        );
        let batches = read_all(&path, &options(Some("text"))).unwrap();
        assert_eq!(texts(&batches, "text"), ["a", "b"]);
    }

    #[test]
    fn empty_files_have_a_schema_and_no_batch() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [("e.jsonl", &b""[..]), ("blank.jsonl", b"\n \n\r\n")] {
            let path = write(dir.path(), name, content);
            let reader = open_jsonl(&path, &options(Some("text"))).unwrap();
            let schema = reader.schema();
            assert_eq!(schema.fields().len(), 1);
            assert_eq!(schema.field(0).name(), "text");
            assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
            assert_eq!(reader.count(), 0);
            let reader = open_jsonl(&path, &options(None)).unwrap();
            assert!(reader.schema().fields().is_empty());
            assert_eq!(reader.count(), 0);
        }
        let path = write(
            dir.path(),
            "e.jsonl.zst",
            &zstd::encode_all(&b""[..], 1).unwrap(),
        );
        assert_eq!(
            open_jsonl(&path, &options(Some("text"))).unwrap().count(),
            0
        );
    }

    #[test]
    fn compressed_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let content: String = (0..5000)
            .map(|i| format!("{{\"text\": \"doc {i}\"}}\n"))
            .collect();
        let zst = write(
            dir.path(),
            "a.jsonl.zst",
            &zstd::encode_all(content.as_bytes(), 3).unwrap(),
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(content.as_bytes()).unwrap();
        let gz = write(dir.path(), "a.jsonl.gz", &gz.finish().unwrap());
        for path in [zst, gz] {
            let batches = read_all(&path, &options(Some("text"))).unwrap();
            let all = texts(&batches, "text");
            assert_eq!(all.len(), 5000);
            assert_eq!(all[4999], "doc 4999");
        }
    }

    #[test]
    fn malformed_json_names_file_and_line() {
        let e = error_of(format!("{GOOD}\n{GOOD}{{\"text\": \"b\",\n{GOOD}").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 4);
        let message = e.to_string();
        assert!(message.contains("bad.jsonl:4:"), "{message}");
        assert!(message.contains("malformed JSON"), "{message}");
        assert!(!message.contains("line 1 column"), "{message}");
    }

    #[test]
    fn one_object_per_line() {
        // Two objects on a line, and one object split over two lines.
        let e =
            error_of(format!("{GOOD}{{\"text\": \"a\"}} {{\"text\": \"b\"}}\n{GOOD}").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 2);
        let e = error_of(format!("{GOOD}{GOOD}{{\"text\":\n\"b\"}}\n").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 3);
        // The two joined ones would even make the right number of rows.
        let e = error_of(format!("{GOOD}{{\"text\": \"a\"}}{{\"text\":\n\"b\"}}\n").as_bytes());
        assert_eq!(line_of(&e), 2);
    }

    #[test]
    fn not_an_object() {
        for (bad, found) in [
            ("[1, 2]", "an array"),
            ("\"text\"", "a string"),
            ("42", "a number"),
            ("null", "null"),
            ("true", "a boolean"),
        ] {
            let e = error_of(format!("{GOOD}\n{bad}\n{GOOD}").as_bytes());
            assert!(matches!(e, Error::Parse { .. }), "{bad}: {e:?}");
            assert_eq!(line_of(&e), 3, "{bad}");
            let message = e.to_string();
            assert!(
                message.contains(&format!("expected a JSON object, found {found}")),
                "{message}"
            );
        }
    }

    #[test]
    fn missing_and_null_text() {
        for bad in ["{\"id\": 3}", "{\"text\": null, \"id\": 3}"] {
            let e = error_of(format!("{GOOD}{GOOD}{bad}\n{GOOD}").as_bytes());
            match &e {
                Error::MissingField { field, .. } => assert_eq!(field, "text"),
                other => panic!("{bad}: {other:?}"),
            }
            assert_eq!(line_of(&e), 3, "{bad}");
        }
    }

    #[test]
    fn non_string_text_is_a_type_error() {
        for (bad, found) in [
            ("42", "a number"),
            ("-1.5e3", "a number"),
            ("true", "a boolean"),
            ("false", "a boolean"),
            ("{\"a\": \"b\"}", "an object"),
            ("[\"a\"]", "an array"),
        ] {
            let e = error_of(format!("{GOOD}{GOOD}\n{{\"text\": {bad}}}\n{GOOD}").as_bytes());
            match &e {
                Error::FieldType {
                    field,
                    expected,
                    found: f,
                    ..
                } => {
                    assert_eq!(field, "text");
                    assert_eq!(expected, "a string");
                    assert_eq!(f, found);
                }
                other => panic!("{bad}: {other:?}"),
            }
            assert_eq!(line_of(&e), 4, "{bad}");
        }
    }

    #[test]
    fn given_string_view_text_column_is_kept_and_strict() {
        let dir = tempfile::tempdir().unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "text",
            DataType::Utf8View,
            false,
        )]));
        let o = JsonlOptions {
            schema: Some(schema),
            ..options(Some("text"))
        };
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\"}\n{\"text\": \"7\"}\n",
        );
        let batches = read_all(&path, &o).unwrap();
        assert_eq!(
            batches[0].schema().field(0).data_type(),
            &DataType::Utf8View
        );
        assert_eq!(texts(&batches, "text"), ["a", "7"]);
        let path = write(dir.path(), "b.jsonl", b"{\"text\": \"a\"}\n{\"text\": 7}\n");
        let e = read_all(&path, &o).unwrap_err();
        assert!(
            matches!(&e, Error::FieldType { field, .. } if field == "text"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 2);
    }

    #[test]
    fn arrow_leniency_is_documented() {
        // Not JSON, but read by arrow's tokenizer (see the module docs), both in the
        // inference window and after it.
        let lenient = [
            &b"{\"text\": \"raw\ttab\"}"[..],
            b"{\"text\": \"b\" \"id\": 1}",
            b"{,\"text\": \"c\",, \"id\": 2,}",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut content = b"{\"text\": \"first\", \"id\": 0}\n".to_vec();
        for line in lenient {
            content.extend_from_slice(line);
            content.push(b'\n');
        }
        let path = write(dir.path(), "a.jsonl", &content);
        for infer_rows in [1, 1000] {
            let o = JsonlOptions {
                infer_rows,
                ..options(Some("text"))
            };
            let batches = read_all(&path, &o).unwrap();
            assert_eq!(texts(&batches, "text"), ["first", "raw\ttab", "b", "c"]);
        }
        // Their text column is still checked, in and after the inference window.
        for bad in [
            &b"{\"text\": 5,,}"[..],
            b"{\"id\": 5,,}",
            b"{\"text\": \"7\",, \"x\": 1 \"text\": 7}",
            // a duplicate key: the last one counts, for serde as for arrow
            b"{\"text\": \"a\", \"text\": 5}",
        ] {
            let mut content = format!("{GOOD}{GOOD}").into_bytes();
            content.extend_from_slice(bad);
            content.push(b'\n');
            let e = error_of(&content);
            assert!(
                matches!(e, Error::FieldType { .. } | Error::MissingField { .. }),
                "{e:?}"
            );
            assert_eq!(line_of(&e), 3);
        }
    }

    #[test]
    fn number_like_strings_are_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"42\"}\n{\"text\": \"true\"}\n{\"text\": \"-1e5\"}\n",
        );
        let batches = read_all(&path, &options(Some("text"))).unwrap();
        assert_eq!(texts(&batches, "text"), ["42", "true", "-1e5"]);
    }

    #[test]
    fn text_column_absent_from_inferred_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "a.jsonl", b"{\"body\": \"a\"}\n{}\n");
        let e = read_all(&path, &options(Some("text"))).unwrap_err();
        assert!(
            matches!(&e, Error::MissingField { field, .. } if field == "text"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 1);
        assert!(e.to_string().contains("a.jsonl:1"), "{e}");
        // A given schema without the column is the caller's mistake.
        let o = JsonlOptions {
            schema: Some(Arc::new(Schema::new(vec![Field::new(
                "body",
                DataType::Utf8,
                true,
            )]))),
            ..options(Some("text"))
        };
        assert!(matches!(
            open_jsonl(&path, &o),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn invalid_utf8() {
        // Inside the text, inside another field, and outside any string.
        for bad in [
            &b"{\"text\": \"ab\xff\"}"[..],
            b"{\"text\": \"ab\", \"other\": \"\xc3\"}",
            b"{\"text\": \"ab\"}\xe9",
        ] {
            let mut content = format!("{GOOD}{GOOD}").into_bytes();
            content.extend_from_slice(bad);
            content.extend_from_slice(format!("\n{GOOD}").as_bytes());
            let e = error_of(&content);
            assert!(matches!(e, Error::Parse { .. }), "{e:?}");
            assert_eq!(line_of(&e), 3);
            assert!(e.to_string().contains("invalid UTF-8 at byte"), "{e}");
        }
    }

    #[test]
    fn lone_surrogate_escape_is_rejected() {
        let e = error_of(format!("{GOOD}{{\"text\": \"a\\ud800b\"}}\n").as_bytes());
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 2);
    }

    #[test]
    fn other_field_type_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\", \"n\": 1}\n{\"text\": \"b\", \"n\": 2}\n\n{\"text\": \"c\", \"n\": {\"x\": 1}}\n",
        );
        for infer_rows in [1, 1000] {
            let o = JsonlOptions {
                infer_rows,
                ..options(Some("text"))
            };
            let e = read_all(&path, &o).unwrap_err();
            match &e {
                Error::FieldType {
                    field,
                    expected,
                    found,
                    ..
                } => {
                    assert_eq!(field, "n");
                    assert_eq!(expected, "an integer (Int64)");
                    assert_eq!(found, "an object");
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(line_of(&e), 4);
        }
    }

    #[test]
    fn given_schema_type_mismatch_mid_batch() {
        let dir = tempfile::tempdir().unwrap();
        let mut content = String::new();
        for i in 0..100 {
            if i == 57 {
                content.push_str("{\"text\": \"t\", \"n\": \"seven\"}\n");
            } else {
                content.push_str(&format!("{{\"text\": \"t\", \"n\": {i}}}\n"));
            }
        }
        let path = write(dir.path(), "a.jsonl", content.as_bytes());
        let schema = Schema::new(vec![
            Field::new("text", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]);
        let o = JsonlOptions {
            schema: Some(Arc::new(schema)),
            ..options(Some("text"))
        };
        let e = read_all(&path, &o).unwrap_err();
        assert!(
            matches!(&e, Error::FieldType { field, found, .. } if field == "n" && found == "a string"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 58);
    }

    #[test]
    fn inference_conflict_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\", \"m\": {\"x\": 1}}\n{\"text\": \"a\", \"m\": {\"x\": 1}}\n{\"text\": \"b\", \"m\": 3}\n",
        );
        let e = read_all(&path, &options(Some("text"))).unwrap_err();
        assert!(
            matches!(&e, Error::FieldType { field, found, .. } if field == "m" && found == "a number"),
            "{e:?}"
        );
        assert_eq!(line_of(&e), 3);
        // A conflict within one line, which no earlier line explains.
        let path = write(
            dir.path(),
            "b.jsonl",
            b"{\"text\": \"a\"}\n\n{\"text\": \"a\", \"l\": [1, {\"x\": 1}]}\n",
        );
        let e = read_all(&path, &options(Some("text"))).unwrap_err();
        assert!(matches!(e, Error::Parse { .. }), "{e:?}");
        assert_eq!(line_of(&e), 3);
        assert!(e.to_string().contains("cannot infer a schema"), "{e}");
    }

    #[test]
    fn lenient_fields() {
        // A field seen as number and string is inferred as a string and read as
        // text; a field null in the inference window becomes a string; fields
        // unknown to the schema are ignored.
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"text\": \"a\", \"id\": 1, \"z\": null}\n{\"text\": \"b\", \"id\": \"x\", \"z\": null}\n\
              {\"text\": \"c\", \"id\": 2.5, \"z\": \"q\", \"new\": [1]}\n",
        );
        let o = JsonlOptions {
            infer_rows: 2,
            ..options(Some("text"))
        };
        let reader = open_jsonl(&path, &o).unwrap();
        let schema = reader.schema();
        assert_eq!(schema.fields().len(), 3);
        assert_eq!(
            schema.field_with_name("id").unwrap().data_type(),
            &DataType::Utf8
        );
        assert_eq!(
            schema.field_with_name("z").unwrap().data_type(),
            &DataType::Utf8
        );
        let batches: Vec<_> = reader.collect::<Result<_>>().unwrap();
        assert_eq!(texts(&batches, "id"), ["1", "x", "2.5"]);
        let z = batches[0].column_by_name("z").unwrap().as_string::<i32>();
        assert_eq!(z.null_count(), 2);
        assert_eq!(z.value(2), "q");
    }

    #[test]
    fn truncated_compressed_files() {
        let dir = tempfile::tempdir().unwrap();
        let content: String = (0..50_000)
            .map(|i| format!("{{\"text\": \"document number {i}\"}}\n"))
            .collect();
        let zst = zstd::encode_all(content.as_bytes(), 3).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(content.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        for (name, bytes, codec) in [("t.jsonl.zst", zst, "zstd"), ("t.jsonl.gz", gz, "gzip")] {
            let path = write(dir.path(), name, &bytes[..bytes.len() * 3 / 4]);
            let e = read_all(&path, &options(Some("text"))).unwrap_err();
            assert!(
                matches!(&e, Error::Decompress { path: p, codec: c, .. } if *p == path && *c == codec),
                "{e:?}"
            );
            assert!(e.to_string().contains(name), "{e}");
        }
    }

    #[test]
    fn missing_file() {
        let path = Path::new("/no/such/dir/corpus.jsonl");
        let e = read_all(path, &options(Some("text"))).unwrap_err();
        assert!(
            matches!(&e, Error::Io { path: p, .. } if p == path),
            "{e:?}"
        );
        assert!(e.to_string().contains("/no/such/dir/corpus.jsonl"), "{e}");
    }

    #[test]
    fn bad_options() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "a.jsonl", GOOD.as_bytes());
        let o = JsonlOptions {
            batch_size: 0,
            ..Default::default()
        };
        assert!(matches!(
            open_jsonl(&path, &o),
            Err(Error::InvalidParameter { .. })
        ));
        let o = JsonlOptions {
            infer_rows: 0,
            ..Default::default()
        };
        assert!(matches!(
            open_jsonl(&path, &o),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn iteration_stops_after_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            format!("{GOOD}{GOOD}oops\n{GOOD}{GOOD}").as_bytes(),
        );
        let o = JsonlOptions {
            infer_rows: 1,
            batch_size: 1,
            ..options(Some("text"))
        };
        let results: Vec<_> = open_jsonl(&path, &o).unwrap().collect();
        assert_eq!(results.len(), 3);
        assert!(results[0].is_ok() && results[1].is_ok());
        assert_eq!(line_of(results[2].as_ref().unwrap_err()), 3);
    }

    #[test]
    fn reader_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<JsonlReader>();
    }

    /// Throughput on a real corpus: `cargo test --release -p thresher-core
    /// jsonl_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn jsonl_throughput() {
        use std::time::Instant;
        let path = Path::new("/work/shared/corpora/docs/raw.jsonl.zst");
        if !path.exists() {
            eprintln!("skipped: {} is absent", path.display());
            return;
        }
        // Decompression alone, into a plain copy.
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("raw.jsonl");
        let start = Instant::now();
        let mut stream = super::super::open_decoded(path).unwrap();
        let raw = std::io::copy(&mut stream, &mut std::io::sink()).unwrap() as f64 / 1e6;
        let decompress = start.elapsed().as_secs_f64();
        std::io::copy(
            &mut super::super::open_decoded(path).unwrap(),
            &mut std::fs::File::create(&plain).unwrap(),
        )
        .unwrap();
        // More files to time, e.g. the corpus recompressed at another level.
        let extra: Vec<PathBuf> = std::env::var_os("THRESHER_BENCH_FILES")
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default();
        let mut files = vec![("zstd", path), ("plain", plain.as_path())];
        files.extend(extra.iter().map(|p| ("extra", p.as_path())));
        for (what, file) in files {
            for _ in 0..2 {
                let start = Instant::now();
                let (mut rows, mut text_bytes) = (0, 0);
                for batch in open_jsonl(file, &options(Some("text"))).unwrap() {
                    let batch = batch.unwrap();
                    rows += batch.num_rows();
                    text_bytes += TextColumn::from_batch(&batch, "text", 0)
                        .unwrap()
                        .total_bytes();
                }
                let total = start.elapsed().as_secs_f64();
                eprintln!(
                    "{what} {}: {rows} rows, {raw:.0} MB raw, {:.0} MB text: {:.0} MB/s ({total:.2} s)",
                    file.display(),
                    text_bytes as f64 / 1e6,
                    raw / total
                );
            }
        }
        eprintln!("decompression alone: {:.0} MB/s", raw / decompress);
    }
}
