//! A decoded copy of a corpus on local disk, so a second pass skips decompression
//! and parsing.
//!
//! DSIR reads the raw corpus twice (fit, then select). When it is stored as
//! `.jsonl.zst`, decompressing a single zstd frame (~200 MB/s on one core) bounds
//! both passes. [`tee`] writes every batch of the first pass to an uncompressed Arrow
//! IPC file as it goes by; [`read_spill`] streams it back batch by batch for the
//! second pass. Memory stays O(batch); the disk holds about the corpus's decoded size.
//! If writing fails (for example a full disk) the spill is abandoned, the first pass
//! goes on unharmed, and the second pass reads the original source.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;

use crate::stream::BatchStream;
use crate::{Error, Result};

/// The outcome of a spill, shared between the tee and its owner.
#[derive(Debug, Default)]
pub struct SpillStatus {
    /// The spill file, once complete (the whole stream was written and closed).
    pub complete: Option<PathBuf>,
    /// Why the spill was abandoned, if it was.
    pub abandoned: Option<String>,
}

struct Writer {
    path: PathBuf,
    inner: Option<FileWriter<BufWriter<File>>>,
    status: Arc<Mutex<SpillStatus>>,
}

impl Writer {
    fn write(&mut self, batch: &RecordBatch) {
        if self.inner.is_none() && self.status().abandoned.is_none() {
            match File::create(&self.path)
                .map_err(|e| e.to_string())
                .and_then(|f| {
                    FileWriter::try_new(BufWriter::with_capacity(1 << 20, f), &batch.schema())
                        .map_err(|e| e.to_string())
                }) {
                Ok(w) => self.inner = Some(w),
                Err(e) => return self.abandon(e),
            }
        }
        if let Some(w) = self.inner.as_mut() {
            if let Err(e) = w.write(batch) {
                self.abandon(e.to_string());
            }
        }
    }

    fn finish(&mut self) {
        if let Some(mut w) = self.inner.take() {
            let flushed = w.finish().map_err(|e| e.to_string()).and_then(|_| {
                w.into_inner()
                    .map_err(|e| e.to_string())?
                    // A cache, not a record: no fsync (it costs seconds on large corpora).
                    .into_inner()
                    .map(drop)
                    .map_err(|e| e.to_string())
            });
            match flushed {
                Ok(()) => self.status().complete = Some(self.path.clone()),
                Err(e) => self.abandon(e),
            }
        }
    }

    fn abandon(&mut self, why: String) {
        self.inner = None;
        let _ = std::fs::remove_file(&self.path);
        self.status().abandoned = Some(why);
    }

    fn status(&self) -> std::sync::MutexGuard<'_, SpillStatus> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Pass `stream` through unchanged while writing its batches to `path`.
///
/// The spill counts as complete only if the stream ends without error; it is
/// abandoned (file removed) if the consumer stops early or an error occurs.
pub fn tee(stream: BatchStream, path: &Path) -> (BatchStream, Arc<Mutex<SpillStatus>>) {
    let status = Arc::new(Mutex::new(SpillStatus::default()));
    let writer = Writer {
        path: path.to_path_buf(),
        inner: None,
        status: status.clone(),
    };
    let tee = Tee {
        stream,
        writer,
        ended: false,
    };
    (Box::new(tee), status)
}

struct Tee {
    stream: BatchStream,
    writer: Writer,
    ended: bool,
}

impl Iterator for Tee {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.stream.next() {
            Some(Ok(batch)) => {
                self.writer.write(&batch);
                Some(Ok(batch))
            }
            Some(Err(e)) => {
                self.writer.abandon(format!("the source failed: {e}"));
                Some(Err(e))
            }
            None => {
                self.ended = true;
                self.writer.finish();
                None
            }
        }
    }
}

impl Drop for Tee {
    fn drop(&mut self) {
        if !self.ended && self.writer.inner.is_some() {
            self.writer
                .abandon("the pass stopped before the end of the corpus".into());
        }
    }
}

/// Stream back a spill written by [`tee`].
pub fn read_spill(path: &Path) -> Result<BatchStream> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = FileReader::try_new(BufReader::with_capacity(1 << 20, file), None)?;
    Ok(Box::new(reader.map(|b| b.map_err(Error::from))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::StringArray;

    fn batches(n: usize) -> Vec<Result<RecordBatch>> {
        (0..n)
            .map(|i| {
                let text = Arc::new(StringArray::from(vec![format!("doc {i}"), "é x".into()]));
                Ok(RecordBatch::try_from_iter([("text", text as _)]).unwrap())
            })
            .collect()
    }

    #[test]
    fn a_complete_pass_is_read_back_identically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.arrow");
        let (stream, status) = tee(Box::new(batches(3).into_iter()), &path);
        let seen: Vec<RecordBatch> = stream.map(|b| b.unwrap()).collect();
        assert_eq!(
            status.lock().unwrap().complete.as_deref(),
            Some(path.as_path())
        );
        let back: Vec<RecordBatch> = read_spill(&path).unwrap().map(|b| b.unwrap()).collect();
        assert_eq!(seen, back);
    }

    #[test]
    fn a_pass_stopped_early_abandons_the_spill() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.arrow");
        let (mut stream, status) = tee(Box::new(batches(3).into_iter()), &path);
        stream.next();
        drop(stream);
        let status = status.lock().unwrap();
        assert!(status.complete.is_none() && status.abandoned.is_some());
        assert!(!path.exists());
    }

    #[test]
    fn an_unwritable_spill_does_not_disturb_the_pass() {
        let path = Path::new("/nonexistent-dir/spill.arrow");
        let (stream, status) = tee(Box::new(batches(2).into_iter()), path);
        assert_eq!(stream.count(), 2);
        assert!(status.lock().unwrap().abandoned.is_some());
    }
}
