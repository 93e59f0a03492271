//! Parallel decoding of one large JSONL file, in file order.
//!
//! The caller's thread reads the file in ranges of about `range_bytes`, each cut
//! after a `\n` so that it holds whole lines, and counts its newlines (memchr) to
//! know the line number it starts at. Each range is decoded into record batches by
//! a task on the thread pool; a bounded number of ranges are in flight, and their
//! batches are handed out in file order. Rows, values and errors (file and true line
//! number) are those of the serial reader; only batch boundaries differ: a batch
//! never spans two ranges, so a range's last batch may be short.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::Duration;

use arrow_array::RecordBatch;
use rayon::{ThreadPool, Yield};

use super::decode::DecodeContext;
use super::lines::{is_blank, Lines, BOM, MAX_BATCH_BYTES};
use crate::{Error, Result};

/// Default size of a range: large enough that a task's fixed costs vanish, small
/// enough that `2 x threads` of them in flight stay a modest amount of memory.
pub const DEFAULT_RANGE_BYTES: usize = 8 << 20;

/// At most this many ranges are in flight, whatever the number of threads.
const MAX_IN_FLIGHT: usize = 32;

/// Appends the next block of the decoded file to a buffer.
pub(super) trait BlockSource: Send {
    /// Appends the next block to `buf`; false (nothing appended) at the end.
    fn fill(&mut self, buf: &mut Vec<u8>) -> Result<bool>;
}

impl BlockSource for Box<dyn BlockSource> {
    fn fill(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        (**self).fill(buf)
    }
}

/// A plain file read `block` bytes at a time from an offset.
pub(super) struct PlainBlocks {
    file: File,
    path: PathBuf,
    block: usize,
}

impl PlainBlocks {
    pub(super) fn open(path: &Path, offset: u64, block: usize) -> Result<Self> {
        let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(path, e))?;
        Ok(PlainBlocks {
            file,
            path: path.to_path_buf(),
            block,
        })
    }
}

impl BlockSource for PlainBlocks {
    fn fill(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
        let start = buf.len();
        buf.reserve(self.block);
        (&mut self.file)
            .take(self.block as u64)
            .read_to_end(buf)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(buf.len() > start)
    }
}

/// Whole lines of the file, with the number of the first one.
pub(super) struct Chunk {
    bytes: Vec<u8>,
    first_line: u64,
}

/// Cuts the blocks of a source into chunks of whole lines.
pub(super) struct Chunker<S> {
    source: S,
    /// A chunk holds at least this many bytes, but at the end of the file.
    min_bytes: usize,
    /// The start of a line whose end is not read yet.
    tail: Vec<u8>,
    next_line: u64,
    done: bool,
}

impl<S: BlockSource> Chunker<S> {
    /// Chunks of `source`, whose first line is numbered `first_line`.
    pub(super) fn new(source: S, first_line: u64, min_bytes: usize) -> Self {
        Chunker {
            source,
            min_bytes,
            tail: Vec::new(),
            next_line: first_line,
            done: false,
        }
    }

    /// The next chunk: blocks up to `min_bytes` or more, cut after their last `\n`
    /// (a line longer than that takes as many blocks as it needs); the file's last
    /// line need not end with `\n`.
    pub(super) fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let mut bytes = std::mem::take(&mut self.tail);
        // The tail holds no `\n`: search only what is appended.
        let mut searched = bytes.len();
        let last_newline = loop {
            if !self.source.fill(&mut bytes)? {
                self.done = true;
                break None;
            }
            if bytes.len() < self.min_bytes {
                continue;
            }
            if let Some(i) = memchr::memrchr(b'\n', &bytes[searched..]) {
                break Some(searched + i);
            }
            searched = bytes.len();
        };
        if let Some(i) = last_newline {
            self.tail = bytes[i + 1..].to_vec();
            bytes.truncate(i + 1);
        } else if bytes.is_empty() {
            return Ok(None);
        }
        if self.next_line == 1 && bytes.starts_with(BOM) {
            // The file's very first bytes (no line read before): a byte-order mark.
            bytes.drain(..BOM.len());
        }
        let first_line = self.next_line;
        self.next_line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
        Ok(Some(Chunk { bytes, first_line }))
    }
}

/// Work for one task: the lines replayed after schema inference, or a chunk.
enum Job {
    Lines(Lines),
    Chunk(Chunk),
}

/// The batches of a job, and the error that stopped it, if any.
type Outcome = (Vec<RecordBatch>, Option<Error>);

fn run_job(job: &Job, context: &DecodeContext) -> Outcome {
    let mut batcher = match context.decoder() {
        Ok(decoder) => Batcher {
            context,
            decoder,
            lines: Lines::default(),
            batches: Vec::new(),
        },
        Err(e) => return (Vec::new(), Some(e)),
    };
    let outcome = match job {
        Job::Lines(replay) => {
            (0..replay.len()).try_for_each(|i| batcher.add(replay.get(i), replay.number(i)))
        }
        Job::Chunk(chunk) => {
            let bytes = &chunk.bytes[..];
            // The file's last line may lack its `\n`.
            let last = (!bytes.ends_with(b"\n")).then_some(bytes.len());
            let mut start = 0;
            let mut number = chunk.first_line;
            memchr::memchr_iter(b'\n', bytes)
                .chain(last)
                .try_for_each(|end| {
                    let line = &bytes[start..end];
                    let this = number;
                    start = end + 1;
                    number += 1;
                    if is_blank(line) {
                        Ok(())
                    } else {
                        batcher.add(line, this)
                    }
                })
        }
    };
    let outcome = outcome.and_then(|()| batcher.flush());
    (batcher.batches, outcome.err())
}

/// Gathers lines into batches of at most `batch_size` rows.
struct Batcher<'a> {
    context: &'a DecodeContext,
    decoder: arrow_json::reader::Decoder,
    lines: Lines,
    batches: Vec<RecordBatch>,
}

impl Batcher<'_> {
    fn add(&mut self, line: &[u8], number: u64) -> Result<()> {
        self.lines.push(line, number);
        if self.lines.len() >= self.context.batch_size || self.lines.byte_len() >= MAX_BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if !self.lines.is_empty() {
            let batch = self.context.decode(&mut self.decoder, &self.lines)?;
            self.batches.push(batch);
            self.lines.clear();
        }
        Ok(())
    }
}

/// Batches of a file decoded by tasks on `pool`, in file order.
pub(super) struct ParallelReader {
    pool: Arc<ThreadPool>,
    context: Arc<DecodeContext>,
    chunker: Chunker<Box<dyn BlockSource>>,
    /// Jobs in flight, in file order.
    pending: VecDeque<Receiver<Result<Outcome>>>,
    max_in_flight: usize,
    /// Decoded batches of the oldest job, to hand out first.
    ready: VecDeque<RecordBatch>,
    /// The error that follows `ready`.
    failed: Option<Error>,
    /// No more chunk is to be read.
    exhausted: bool,
}

impl ParallelReader {
    /// Decodes `replay` (lines already read), then the chunks of `source`, whose
    /// first line is numbered `first_line`.
    pub(super) fn new(
        pool: Arc<ThreadPool>,
        context: Arc<DecodeContext>,
        replay: Lines,
        source: Box<dyn BlockSource>,
        first_line: u64,
        range_bytes: usize,
    ) -> Self {
        let mut reader = ParallelReader {
            max_in_flight: max_in_flight(&pool),
            pool,
            context,
            chunker: Chunker::new(source, first_line, range_bytes),
            pending: VecDeque::new(),
            ready: VecDeque::new(),
            failed: None,
            exhausted: false,
        };
        if !replay.is_empty() {
            reader.spawn(Job::Lines(replay));
        }
        reader
    }

    /// The next batch in file order, `None` at the end of the file.
    pub(super) fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            if let Some(batch) = self.ready.pop_front() {
                self.top_up();
                return Ok(Some(batch));
            }
            if let Some(e) = self.failed.take() {
                return Err(e);
            }
            self.top_up();
            let Some(job) = self.pending.pop_front() else {
                return Ok(None);
            };
            let (batches, error) = wait_for(&self.pool, &job)
                .and_then(|outcome| outcome)
                .unwrap_or_else(|e| (Vec::new(), Some(e)));
            self.ready.extend(batches);
            if error.is_some() {
                // Later jobs would only report later errors: drop them.
                self.failed = error;
                self.pending.clear();
                self.exhausted = true;
            }
        }
    }

    /// Reads chunks and starts their jobs until enough are in flight.
    fn top_up(&mut self) {
        while !self.exhausted && self.pending.len() < self.max_in_flight {
            match self.chunker.next_chunk() {
                Ok(Some(chunk)) => self.spawn(Job::Chunk(chunk)),
                Ok(None) => self.exhausted = true,
                Err(e) => {
                    // Reported after the batches of the chunks before it.
                    let (sender, receiver) = sync_channel(1);
                    let _ = sender.send(Err(e));
                    self.pending.push_back(receiver);
                    self.exhausted = true;
                }
            }
        }
    }

    fn spawn(&mut self, job: Job) {
        let context = self.context.clone();
        let receiver = spawn_job(&self.pool, move || Ok(run_job(&job, &context)));
        self.pending.push_back(receiver);
    }
}

/// Jobs in flight on `pool`: enough to keep every thread busy.
pub(super) fn max_in_flight(pool: &ThreadPool) -> usize {
    (2 * pool.current_num_threads()).clamp(2, MAX_IN_FLIGHT)
}

/// Waits for the outcome of a job spawned on `pool`. A worker of the pool (a kernel
/// reading its input) runs other jobs meanwhile: blocking it could leave no thread
/// to run the job.
pub(super) fn wait_for<T>(pool: &ThreadPool, job: &Receiver<T>) -> Result<T> {
    let lost = || Error::Internal("a JSONL decoding task vanished".into());
    if pool.current_thread_index().is_none() {
        return job.recv().map_err(|_| lost());
    }
    loop {
        match job.try_recv() {
            Ok(outcome) => return Ok(outcome),
            Err(TryRecvError::Disconnected) => return Err(lost()),
            Err(TryRecvError::Empty) => {}
        }
        if pool.yield_now() != Some(Yield::Executed) {
            match job.recv_timeout(Duration::from_millis(1)) {
                Ok(outcome) => return Ok(outcome),
                Err(RecvTimeoutError::Disconnected) => return Err(lost()),
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
}

/// Runs `work` on `pool`; its outcome (or its panic, as an error: rayon would abort
/// the process on it) arrives on the receiver.
pub(super) fn spawn_job<T: Send + 'static>(
    pool: &ThreadPool,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Receiver<Result<T>> {
    let (sender, receiver) = sync_channel(1);
    pool.spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
            .unwrap_or_else(|panic| Err(Error::Internal(panic_message(&*panic))));
        // The reader may be gone (dropped early): nothing to do then.
        let _ = sender.send(outcome);
    });
    receiver
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic while reading JSONL".into())
}

#[cfg(test)]
mod tests {
    use super::super::jsonl_reader::{open_jsonl, JsonlOptions};
    use super::*;
    use arrow_schema::{DataType, Field, Schema};
    use proptest::prelude::*;

    fn pool(threads: usize) -> Arc<ThreadPool> {
        Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap(),
        )
    }

    /// Reads `path` serially and in parallel (ranges of `range_bytes`, 2 and 3
    /// threads, the consumer outside the pool and inside it) and checks that all
    /// agree: the same rows in the same order, or the same error.
    fn compare(path: &Path, options: &JsonlOptions, range_bytes: usize) -> Result<RecordBatch> {
        let serial = read(path, options);
        for threads in [2, 3] {
            let pool = pool(threads);
            let parallel = JsonlOptions {
                pool: Some(pool.clone()),
                range_bytes,
                ..options.clone()
            };
            let outside = read(path, &parallel);
            let inside = pool.install(|| read(path, &parallel));
            for got in [outside, inside] {
                match (&serial, got) {
                    (Ok(a), Ok(b)) => assert_eq!(a, &b),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("serial {a:?}, parallel {b:?}"),
                }
            }
        }
        serial
    }

    /// All rows of `path` as one batch; checks the batch sizes on the way.
    fn read(path: &Path, options: &JsonlOptions) -> Result<RecordBatch> {
        let reader = open_jsonl(path, options)?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_>>()?;
        for batch in &batches {
            assert!(batch.num_rows() >= 1 && batch.num_rows() <= options.batch_size);
        }
        Ok(arrow_select::concat::concat_batches(&schema, &batches).unwrap())
    }

    fn options(batch_size: usize, infer_rows: usize) -> JsonlOptions {
        JsonlOptions {
            batch_size,
            infer_rows,
            text_column: Some("text".into()),
            ..Default::default()
        }
    }

    /// One line of a generated file: a record, a blank line, or a long record.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => ("[a-zé\"\\\\ ]{0,12}", 0i64..1000).prop_map(|(t, n)| {
                format!("{{\"text\": {}, \"n\": {n}}}", serde_json::to_string(&t).unwrap())
            }),
            1 => "[ \t]{0,3}",
            1 => (200usize..600).prop_map(|k| format!("{{\"text\": \"{}\"}}", "x".repeat(k))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn parallel_equals_serial(
            lines in proptest::collection::vec(line(), 1..120),
            crlf in any::<bool>(),
            final_newline in any::<bool>(),
            range_bytes in 1usize..400,
            batch_size in 1usize..9,
            infer_rows in 1usize..6,
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut content = lines.join(end);
            if final_newline {
                content.push_str(end);
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("gen.jsonl");
            std::fs::write(&path, &content).unwrap();
            // A file of blank lines only has no batch, and nothing to compare.
            let _ = compare(&path, &options(batch_size, infer_rows), range_bytes);
        }
    }

    #[test]
    fn rows_and_line_numbers_survive_range_cuts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let mut content = String::new();
        for i in 0..5000 {
            if i % 7 == 0 {
                content.push_str(" \r\n");
            }
            let long = if i % 500 == 0 {
                "y".repeat(3000)
            } else {
                String::new()
            };
            content.push_str(&format!("{{\"text\": \"doc {i}{long}\", \"n\": {i}}}\n"));
        }
        std::fs::write(&path, &content).unwrap();
        let all = compare(&path, &options(64, 10), 1000).unwrap();
        assert_eq!(all.num_rows(), 5000);
        let reader = open_jsonl(
            &path,
            &JsonlOptions {
                pool: Some(pool(2)),
                range_bytes: 1000,
                ..options(64, 10)
            },
        )
        .unwrap();
        assert!(reader.is_parallel());
        // Serial below the range size, with one thread, or without a pool.
        for o in [
            JsonlOptions {
                pool: Some(pool(2)),
                range_bytes: content.len(),
                ..options(64, 10)
            },
            JsonlOptions {
                pool: Some(pool(1)),
                range_bytes: 1000,
                ..options(64, 10)
            },
            options(64, 10),
        ] {
            assert!(!open_jsonl(&path, &o).unwrap().is_parallel());
        }
    }

    #[test]
    fn errors_in_later_ranges_name_the_same_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = |i: usize| format!("{{\"text\": \"doc {i}\", \"n\": {i}}}\n");
        for (bad, kind) in [
            ("{\"text\": \"b\",", "malformed JSON"),
            ("{\"text\": 17, \"n\": 1}", "must be a string"),
            ("{\"n\": 1}", "missing field"),
            ("{\"text\": \"a\", \"n\": \"x\"}", "must be an integer"),
            ("[1]", "expected a JSON object"),
        ] {
            let mut content = String::new();
            for i in 0..3000 {
                if i == 2345 {
                    content.push_str(bad);
                    content.push('\n');
                } else {
                    content.push_str(&good(i));
                }
                if i % 11 == 0 {
                    content.push('\n');
                }
            }
            let path = dir.path().join("bad.jsonl");
            std::fs::write(&path, &content).unwrap();
            let e = compare(&path, &options(100, 10), 4096).unwrap_err();
            let line = 2346 + 2345 / 11 + 1;
            let message = e.to_string();
            assert!(message.contains(&format!("bad.jsonl:{line}:")), "{message}");
            assert!(message.contains(kind), "{message}");
        }
    }

    #[test]
    fn given_schema_and_no_inference() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let content: String = (0..2000)
            .map(|i| format!("{{\"text\": \"t{i}\", \"n\": {i}, \"extra\": [1]}}\n"))
            .collect();
        std::fs::write(&path, content).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("text", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]));
        let o = JsonlOptions {
            schema: Some(schema),
            ..options(333, 1)
        };
        assert_eq!(compare(&path, &o, 2000).unwrap().num_rows(), 2000);
    }

    #[test]
    fn dropping_early_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let content: String = (0..20_000)
            .map(|i| format!("{{\"text\": \"t{i}\"}}\n"))
            .collect();
        std::fs::write(&path, content).unwrap();
        let o = JsonlOptions {
            pool: Some(pool(2)),
            range_bytes: 5000,
            ..options(10, 10)
        };
        let mut reader = open_jsonl(&path, &o).unwrap();
        assert_eq!(reader.next().unwrap().unwrap().num_rows(), 10);
        drop(reader); // pending tasks finish on their own
    }

    /// A source failing after some blocks.
    struct Failing {
        blocks: Vec<&'static [u8]>,
    }

    impl BlockSource for Failing {
        fn fill(&mut self, buf: &mut Vec<u8>) -> Result<bool> {
            if self.blocks.is_empty() {
                return Err(Error::Internal("disk on fire".into()));
            }
            buf.extend_from_slice(self.blocks.remove(0));
            Ok(true)
        }
    }

    #[test]
    fn chunks_hold_whole_lines() {
        let source = Failing {
            blocks: vec![b"a\nb", b"cd", b"e\n\nf", b"\n"],
        };
        let mut chunker = Chunker::new(source, 5, 1);
        let chunk = chunker.next_chunk().unwrap().unwrap();
        assert_eq!((&chunk.bytes[..], chunk.first_line), (&b"a\n"[..], 5));
        let chunk = chunker.next_chunk().unwrap().unwrap();
        assert_eq!((&chunk.bytes[..], chunk.first_line), (&b"bcde\n\n"[..], 6));
        let chunk = chunker.next_chunk().unwrap().unwrap();
        assert_eq!((&chunk.bytes[..], chunk.first_line), (&b"f\n"[..], 8));
        assert!(matches!(chunker.next_chunk(), Err(Error::Internal(_))));
    }

    #[test]
    fn read_errors_come_after_earlier_batches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let context = Arc::new(DecodeContext {
            checker: super::super::diagnose::LineChecker {
                path: path.clone(),
                schema: Arc::new(Schema::new(vec![Field::new("text", DataType::Utf8, true)])),
                text: Some("text".into()),
            },
            text_index: Some(0),
            batch_size: 10,
        });
        let source = Failing {
            blocks: vec![b"{\"text\": \"a\"}\n", b"{\"text\": \"b\"}\n"],
        };
        let mut reader =
            ParallelReader::new(pool(2), context, Lines::default(), Box::new(source), 1, 1);
        assert_eq!(reader.next_batch().unwrap().unwrap().num_rows(), 1);
        assert_eq!(reader.next_batch().unwrap().unwrap().num_rows(), 1);
        assert!(matches!(reader.next_batch(), Err(Error::Internal(_))));
    }

    /// `content` as zstd frames cut at arbitrary bytes (lines span frames), with a
    /// skippable frame among them.
    fn frames(content: &[u8], cut: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, piece) in content.chunks(cut).enumerate() {
            out.extend(zstd::encode_all(piece, 1).unwrap());
            if i == 1 {
                out.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
                out.extend_from_slice(&3u32.to_le_bytes());
                out.extend_from_slice(b"abc");
            }
        }
        out
    }

    #[test]
    fn zstd_frames_in_parallel() {
        let dir = tempfile::tempdir().unwrap();
        let mut content = String::new();
        for i in 0..3000 {
            if i % 13 == 0 {
                content.push_str("\r\n");
            }
            let long = if i % 700 == 0 {
                "z".repeat(5000)
            } else {
                String::new()
            };
            content.push_str(&format!("{{\"text\": \"doc {i}{long}\", \"n\": {i}}}\n"));
        }
        content.push_str("{\"text\": \"last\", \"n\": -1}");
        let path = dir.path().join("a.jsonl.zst");
        let parallel = |range_bytes| JsonlOptions {
            pool: Some(pool(2)),
            range_bytes,
            ..options(50, 10)
        };
        for cut in [977, 20_000] {
            std::fs::write(&path, frames(content.as_bytes(), cut)).unwrap();
            assert!(open_jsonl(&path, &parallel(1)).unwrap().is_parallel());
            for range_bytes in [1, 3000, 1 << 20] {
                let all = compare(&path, &options(50, 10), range_bytes).unwrap();
                assert_eq!(all.num_rows(), 3001);
            }
        }
        // One frame: serial.
        std::fs::write(&path, zstd::encode_all(content.as_bytes(), 1).unwrap()).unwrap();
        assert!(!open_jsonl(&path, &parallel(1)).unwrap().is_parallel());
    }

    #[test]
    fn zstd_frame_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut content = String::new();
        for i in 0..3000 {
            content.push_str(&if i == 2500 {
                "{\"text\": 5}\n".to_string()
            } else {
                format!("{{\"text\": \"doc {i}\"}}\n")
            });
        }
        let path = dir.path().join("bad.jsonl.zst");
        std::fs::write(&path, frames(content.as_bytes(), 5000)).unwrap();
        let e = compare(&path, &options(64, 10), 1000).unwrap_err();
        assert!(e.to_string().contains("bad.jsonl.zst:2501:"), "{e}");
        // A truncated last frame: a decompression error, serially and in parallel.
        let content = content.replace("{\"text\": 5}", "{\"text\": \"5\"}");
        let bytes = frames(content.as_bytes(), 5000);
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        let parallel = JsonlOptions {
            pool: Some(pool(2)),
            range_bytes: 1000,
            ..options(64, 10)
        };
        for o in [options(64, 10), parallel] {
            let e = read(&path, &o).unwrap_err();
            assert!(
                matches!(&e, Error::Decompress { codec: "zstd", .. }),
                "{e:?}"
            );
            assert!(e.to_string().contains("bad.jsonl.zst"), "{e}");
        }
    }

    /// CPU time of this process so far (user + system, from /proc; 0 elsewhere).
    fn cpu_seconds() -> f64 {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // Fields after the command name, which is in parentheses: utime is the 12th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / 100.0
    }

    /// Serial versus parallel read throughput of one large plain file, in one
    /// process: `THRESHER_BENCH_JSONL=big.jsonl cargo test --profile dev-opt -p
    /// thresher-core parallel_throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn parallel_throughput() {
        use std::time::Instant;
        let Some(path) = std::env::var_os("THRESHER_BENCH_JSONL") else {
            eprintln!("skipped: set THRESHER_BENCH_JSONL");
            return;
        };
        let path = Path::new(&path);
        let megabytes = std::fs::metadata(path).unwrap().len() as f64 / 1e6;
        let threads: usize = std::env::var("THRESHER_BENCH_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2);
        for round in 0..3 {
            for (what, pool) in [("serial", None), ("parallel", Some(pool(threads)))] {
                let o = JsonlOptions {
                    pool,
                    ..options(8192, 1000)
                };
                let (start, cpu) = (Instant::now(), cpu_seconds());
                let mut rows = 0;
                for batch in open_jsonl(path, &o).unwrap() {
                    rows += batch.unwrap().num_rows();
                }
                let seconds = start.elapsed().as_secs_f64();
                eprintln!(
                    "round {round} {what} ({threads} threads): {rows} rows, {megabytes:.0} MB in \
                     {seconds:.2} s ({:.1} s CPU): {:.0} rows/s, {:.0} MB/s",
                    cpu_seconds() - cpu,
                    rows as f64 / seconds,
                    megabytes / seconds
                );
            }
        }
    }
}
