//! Atomic writer of record batches as JSON Lines (plain, gzip or zstd).
//!
//! Output goes to a hidden temporary file next to the target, which is fsynced and
//! renamed onto the target only by [`JsonlWriter::finish`]: a reader never sees a
//! half-written file, and a failed or abandoned write leaves the target untouched.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::RecordBatch;
use arrow_json::writer::{LineDelimited, Writer, WriterBuilder};
use arrow_schema::ArrowError;

use super::compression::Compression;
use crate::{Error, Result};

/// zstd level: 3 is zstd's default, fast to write and within a few percent of the
/// ratio of much slower levels on text.
const ZSTD_LEVEL: i32 = 3;

/// Write buffer in front of the file.
const WRITE_BUFFER: usize = 1 << 20;

/// Makes temporary names unique among the writers of one process.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Writes record batches to a JSONL file, one JSON object per row with its keys in
/// schema order and nulls written as `null`, atomically (see the module docs).
pub struct JsonlWriter {
    path: PathBuf,
    /// The temporary file; `None` once renamed onto `path`.
    temp: Option<PathBuf>,
    /// `None` once finished.
    writer: Option<Writer<Sink, LineDelimited>>,
}

impl JsonlWriter {
    /// Starts writing `path` with `compression` (see [`Compression::from_extension`]
    /// to choose it from the name). Nothing appears at `path` before
    /// [`finish`](Self::finish).
    pub fn create(path: &Path, compression: Compression) -> Result<Self> {
        let name = path.file_name().ok_or_else(|| {
            Error::io(
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
            )
        })?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let temp = dir.join(format!(
            ".{}.{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            NEXT_TEMP.fetch_add(1, Ordering::Relaxed)
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Error::io(path, e))?;
        // From here on, dropping `this` removes the temporary file.
        let mut this = JsonlWriter {
            path: path.to_path_buf(),
            temp: Some(temp),
            writer: None,
        };
        let buffered = BufWriter::with_capacity(WRITE_BUFFER, file);
        let sink = match compression {
            Compression::None => Sink::Plain(buffered),
            Compression::Gzip => Sink::Gzip(flate2::write::GzEncoder::new(
                buffered,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Sink::Zstd(
                zstd::Encoder::new(buffered, ZSTD_LEVEL).map_err(|e| Error::io(path, e))?,
            ),
        };
        this.writer = Some(
            WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, LineDelimited>(sink),
        );
        Ok(this)
    }

    /// The file that [`finish`](Self::finish) will create.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the rows of `batch`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let writer = self
            .writer
            .as_mut()
            .expect("the writer is live until finish");
        writer.write(batch).map_err(|e| match e {
            ArrowError::IoError(_, source) => Error::io(&self.path, source),
            other => Error::Arrow(other),
        })
    }

    /// Completes the file, fsyncs it and renames it onto the target path, which it
    /// returns. On error the target is untouched and the temporary file removed.
    pub fn finish(mut self) -> Result<PathBuf> {
        let io_error = |e| Error::io(&self.path, e);
        let mut writer = self.writer.take().expect("finish is called once");
        writer.finish().map_err(|e| match e {
            ArrowError::IoError(_, source) => Error::io(&self.path, source),
            other => Error::Arrow(other),
        })?;
        let file = writer.into_inner().finish().map_err(io_error)?;
        file.sync_all().map_err(io_error)?;
        drop(file);
        let temp = self
            .temp
            .as_ref()
            .expect("the temporary file exists until renamed");
        std::fs::rename(temp, &self.path).map_err(io_error)?;
        self.temp = None;
        // Make the rename itself durable. Best effort: some filesystems cannot
        // fsync a directory, and the data is already safe.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(dir) = File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(self.path.clone())
    }
}

impl Drop for JsonlWriter {
    fn drop(&mut self) {
        // Close the file before removing it.
        drop(self.writer.take());
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// The byte sink under the JSON encoder.
enum Sink {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
}

impl Sink {
    /// Writes the codec's trailer and flushes everything to the file.
    fn finish(self) -> io::Result<File> {
        let buffered = match self {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w.finish()?,
            Sink::Zstd(w) => w.finish()?,
        };
        buffered.into_inner().map_err(|e| e.into_error())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
            Sink::Zstd(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(buf),
            Sink::Gzip(w) => w.write_all(buf),
            Sink::Zstd(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
            Sink::Zstd(w) => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{open_jsonl, JsonlOptions};
    use crate::text::TextColumn;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use arrow_array::{Array, ArrayRef, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use proptest::prelude::*;
    use std::sync::Arc;

    fn batch(texts: &[&str], ids: &[Option<i64>]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("text", DataType::Utf8, false),
            Field::new("id", DataType::Int64, true),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(texts.to_vec())),
            Arc::new(Int64Array::from(ids.to_vec())),
        ];
        RecordBatch::try_new(Arc::new(schema), columns).unwrap()
    }

    fn read_texts(path: &Path) -> Vec<String> {
        let options = JsonlOptions {
            text_column: Some("text".into()),
            ..Default::default()
        };
        let mut out = Vec::new();
        for b in open_jsonl(path, &options).unwrap() {
            let b = b.unwrap();
            let column = TextColumn::from_batch(&b, "text", 0).unwrap();
            out.extend((0..column.len()).map(|i| column.value(i).to_string()));
        }
        out
    }

    /// Names in `dir` other than `keep`: stray temporary files.
    fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !keep.contains(&n.as_str()))
            .collect()
    }

    const TRICKY: &[&str] = &[
        "plain",
        "h\u{e9}llo \u{4e16}\u{754c} \u{1f600}",
        "quote \" backslash \\ slash /",
        "new\nline\r\ttab \u{0}\u{1}\u{1f}\u{7f}",
        "",
        "42",
        "\u{2028}\u{2029}\u{feff}",
    ];

    #[test]
    fn round_trip_all_codecs() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"] {
            let path = dir.path().join(name);
            let compression = Compression::from_extension(&path);
            let mut writer = JsonlWriter::create(&path, compression).unwrap();
            assert_eq!(writer.path(), path);
            let ids: Vec<Option<i64>> = (0..TRICKY.len() as i64).map(Some).collect();
            writer.write(&batch(TRICKY, &ids)).unwrap();
            writer.write(&batch(&["last"], &[None])).unwrap();
            assert_eq!(writer.finish().unwrap(), path);
            let mut expected: Vec<String> = TRICKY.iter().map(|s| s.to_string()).collect();
            expected.push("last".into());
            assert_eq!(read_texts(&path), expected, "{name}");
            let batches: Vec<_> = open_jsonl(&path, &JsonlOptions::default())
                .unwrap()
                .collect::<crate::Result<_>>()
                .unwrap();
            let ids = batches[0]
                .column_by_name("id")
                .unwrap()
                .as_primitive::<Int64Type>();
            assert_eq!(ids.value(6), 6);
            assert!(ids.is_null(7));
        }
        assert_eq!(
            others(dir.path(), &["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn one_object_per_line_keys_in_schema_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut writer = JsonlWriter::create(&path, Compression::None).unwrap();
        writer
            .write(&batch(&["a\nb", "c"], &[Some(1), None]))
            .unwrap();
        writer.finish().unwrap();
        let content = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            content,
            "{\"text\":\"a\\nb\",\"id\":1}\n{\"text\":\"c\",\"id\":null}\n"
        );
    }

    #[test]
    fn drop_without_finish_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl.zst");
        let mut writer = JsonlWriter::create(&path, Compression::Zstd).unwrap();
        writer.write(&batch(&["a"], &[Some(1)])).unwrap();
        assert_eq!(
            others(dir.path(), &[]).len(),
            1,
            "the temporary file exists"
        );
        drop(writer);
        assert!(!path.exists());
        assert_eq!(others(dir.path(), &[]), Vec::<String>::new());
    }

    #[test]
    fn existing_file_untouched_until_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(&path, "old\n").unwrap();
        let mut writer = JsonlWriter::create(&path, Compression::None).unwrap();
        writer.write(&batch(&["new"], &[Some(1)])).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        drop(writer);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        let mut writer = JsonlWriter::create(&path, Compression::None).unwrap();
        writer.write(&batch(&["new"], &[Some(1)])).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        writer.finish().unwrap();
        assert_eq!(read_texts(&path), ["new"]);
        assert_eq!(others(dir.path(), &["out.jsonl"]), Vec::<String>::new());
    }

    #[test]
    fn two_writers_same_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut a = JsonlWriter::create(&path, Compression::None).unwrap();
        let mut b = JsonlWriter::create(&path, Compression::None).unwrap();
        a.write(&batch(&["a"], &[None])).unwrap();
        b.write(&batch(&["b"], &[None])).unwrap();
        a.finish().unwrap();
        b.finish().unwrap();
        assert_eq!(read_texts(&path), ["b"]);
    }

    #[test]
    fn empty_output_is_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        for (name, compression) in [
            ("e.jsonl", Compression::None),
            ("e.jsonl.zst", Compression::Zstd),
        ] {
            let path = dir.path().join(name);
            JsonlWriter::create(&path, compression)
                .unwrap()
                .finish()
                .unwrap();
            assert!(path.exists());
            assert_eq!(read_texts(&path), Vec::<String>::new());
        }
    }

    #[test]
    fn unwritable_directory_names_the_path() {
        let path = Path::new("/no/such/dir/out.jsonl");
        let e = JsonlWriter::create(path, Compression::None)
            .err()
            .expect("must fail");
        assert!(
            matches!(&e, Error::Io { path: p, .. } if p == path),
            "{e:?}"
        );
        assert!(e.to_string().contains("/no/such/dir/out.jsonl"), "{e}");
    }

    #[test]
    fn writer_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<JsonlWriter>();
    }

    #[test]
    fn path_without_file_name_is_an_error() {
        for path in ["", "/", "dir/.."] {
            let e = JsonlWriter::create(Path::new(path), Compression::None).err();
            assert!(matches!(e, Some(Error::Io { .. })), "{path:?}: {e:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_string_round_trips(
            texts in proptest::collection::vec(any::<String>(), 1..20),
            codec in 0..3u8,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let compression = [Compression::None, Compression::Gzip, Compression::Zstd][codec as usize];
            let path = dir.path().join("p.jsonl");
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let ids = vec![None; refs.len()];
            let mut writer = JsonlWriter::create(&path, compression).unwrap();
            // in two batches, to cross a batch boundary
            let half = refs.len() / 2;
            writer.write(&batch(&refs[..half], &ids[..half])).unwrap();
            writer.write(&batch(&refs[half..], &ids[half..])).unwrap();
            writer.finish().unwrap();
            prop_assert_eq!(read_texts(&path), texts);
        }

        #[test]
        fn special_characters_round_trip(
            texts in proptest::collection::vec("[\"\\\\\n\r\t\u{0}-\u{1f}a\u{e9}\u{1f600}\u{2028} {}:,]{0,40}", 1..30),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p.jsonl.zst");
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let mut writer = JsonlWriter::create(&path, Compression::Zstd).unwrap();
            writer.write(&batch(&refs, &vec![Some(7); refs.len()])).unwrap();
            writer.finish().unwrap();
            prop_assert_eq!(read_texts(&path), texts);
        }
    }
}
