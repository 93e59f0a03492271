//! External sort of fixed-size records under a memory budget.
//!
//! [`ExternalSorter`] buffers records up to a byte budget; a full buffer is sorted
//! (in parallel) and written as a *run* to a file of a [`SpillDir`]. [`ExternalSorter::finish`]
//! returns the records in order: straight from the buffer when nothing was spilled,
//! otherwise by a k-way merge of the runs with a binary heap, streamed block by block
//! (at most [`FAN_IN`] runs are open at once; more runs are first merged into longer
//! ones). Records are ordered by their own total order (`Ord`), so equal records are
//! identical and the output never depends on the budget, the run boundaries or the
//! thread count.
//!
//! Every file lives in one temporary directory that is removed, with whatever it
//! still holds, when the last owner of the [`SpillDir`] is dropped: at the end of the
//! work and on error alike.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::{Error, Result};

/// Runs merged at once (and files open at once per merge).
pub const FAN_IN: usize = 64;

/// Bytes read from a run at a time while merging.
const READ_BLOCK: usize = 64 << 10;

/// Bytes buffered while writing a run.
const WRITE_BLOCK: usize = 1 << 20;

/// A record of fixed size on disk.
pub trait Record: Copy + Ord + Send + Sync {
    /// Bytes of one encoded record.
    const BYTES: usize;
    /// Write the record into `out` (`BYTES` long).
    fn encode(&self, out: &mut [u8]);
    /// Read a record written by [`Record::encode`].
    fn decode(bytes: &[u8]) -> Self;
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

impl Record for u64 {
    const BYTES: usize = 8;
    fn encode(&self, out: &mut [u8]) {
        out.copy_from_slice(&self.to_le_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        u64_at(bytes, 0)
    }
}

impl Record for (u64, u64) {
    const BYTES: usize = 16;
    fn encode(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.0.to_le_bytes());
        out[8..].copy_from_slice(&self.1.to_le_bytes());
    }
    fn decode(bytes: &[u8]) -> Self {
        (u64_at(bytes, 0), u64_at(bytes, 8))
    }
}

/// A temporary directory for spill files (`thresher-spill-*` inside a parent),
/// created on first use and removed with its contents when dropped.
pub struct SpillDir {
    parent: PathBuf,
    dir: std::sync::OnceLock<tempfile::TempDir>,
    next: AtomicU64,
}

impl SpillDir {
    /// A spill directory inside `parent` (the system's temporary directory if `None`).
    /// Nothing is created until a file is.
    pub fn new(parent: Option<&Path>) -> Arc<Self> {
        Arc::new(SpillDir {
            parent: parent.map_or_else(std::env::temp_dir, Path::to_path_buf),
            dir: std::sync::OnceLock::new(),
            next: AtomicU64::new(0),
        })
    }

    /// The directory, if it has been created.
    pub fn path(&self) -> Option<&Path> {
        self.dir.get().map(|d| d.path())
    }

    fn directory(&self) -> Result<&Path> {
        if let Some(dir) = self.dir.get() {
            return Ok(dir.path());
        }
        let made = tempfile::Builder::new()
            .prefix("thresher-spill-")
            .tempdir_in(&self.parent)
            .map_err(|e| Error::io(&self.parent, e))?;
        // Another thread may have won the race: its directory is kept, ours dropped.
        Ok(self.dir.get_or_init(|| made).path())
    }

    /// Create a new file named after `what`; returns its path and a handle open for
    /// reading and writing.
    pub fn create(&self, what: &str) -> Result<(PathBuf, File)> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.directory()?.join(format!("{what}-{n}.bin"));
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok((path, file))
    }
}

/// A sorted run on disk.
struct Run {
    path: PathBuf,
    records: u64,
}

/// Write `records` (in order) to a new file of `dir`.
fn write_run<R: Record>(dir: &SpillDir, records: impl Iterator<Item = Result<R>>) -> Result<Run> {
    let (path, file) = dir.create("run")?;
    let mut out = BufWriter::with_capacity(WRITE_BLOCK, file);
    let mut bytes = vec![0u8; R::BYTES];
    let mut count = 0u64;
    for r in records {
        r?.encode(&mut bytes);
        out.write_all(&bytes).map_err(|e| Error::io(&path, e))?;
        count += 1;
    }
    out.flush().map_err(|e| Error::io(&path, e))?;
    Ok(Run {
        path,
        records: count,
    })
}

/// Sorts records under a byte budget, spilling sorted runs to disk.
pub struct ExternalSorter<R: Record> {
    dir: Arc<SpillDir>,
    capacity: usize,
    buffer: Vec<R>,
    runs: Vec<Run>,
    records: u64,
    bytes_spilled: u64,
}

impl<R: Record> ExternalSorter<R> {
    /// A sorter holding at most `budget` bytes of records in memory (at least one
    /// record), whose runs go to `dir`.
    pub fn new(budget: u64, dir: Arc<SpillDir>) -> Self {
        let capacity = (budget / std::mem::size_of::<R>().max(1) as u64).max(1);
        ExternalSorter {
            dir,
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
            buffer: Vec::new(),
            runs: Vec::new(),
            records: 0,
            bytes_spilled: 0,
        }
    }

    /// Records pushed so far.
    pub fn len(&self) -> u64 {
        self.records
    }

    /// Whether no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Bytes written to run files so far (merges of runs included).
    pub fn bytes_spilled(&self) -> u64 {
        self.bytes_spilled
    }

    /// Add a record.
    pub fn push(&mut self, record: R) -> Result<()> {
        if self.buffer.len() == self.buffer.capacity() {
            // Grow by doubling but never past the budget's capacity.
            let target = (self.buffer.capacity() * 2).max(1024).min(self.capacity);
            if target > self.buffer.len() {
                self.buffer.reserve_exact(target - self.buffer.len());
            }
        }
        self.buffer.push(record);
        self.records += 1;
        if self.buffer.len() >= self.capacity {
            self.spill()?;
        }
        Ok(())
    }

    /// Add every record of `records`.
    pub fn extend(&mut self, records: &[R]) -> Result<()> {
        for &r in records {
            self.push(r)?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        self.buffer.par_sort_unstable();
        let run = write_run(&self.dir, self.buffer.drain(..).map(Ok))?;
        self.bytes_spilled += run.records * R::BYTES as u64;
        self.runs.push(run);
        Ok(())
    }

    /// The records in increasing order.
    pub fn finish(mut self) -> Result<Sorted<R>> {
        if self.runs.is_empty() {
            self.buffer.par_sort_unstable();
            return Ok(Sorted {
                inner: Inner::Memory(std::mem::take(&mut self.buffer).into_iter()),
            });
        }
        if !self.buffer.is_empty() {
            self.spill()?;
        }
        self.buffer = Vec::new();
        // Merge the oldest runs until one merge can take them all.
        while self.runs.len() > FAN_IN {
            let group: Vec<Run> = self.runs.drain(..FAN_IN).collect();
            let merged = write_run(&self.dir, Merge::<R>::open(group)?)?;
            self.bytes_spilled += merged.records * R::BYTES as u64;
            self.runs.push(merged);
        }
        let runs = std::mem::take(&mut self.runs);
        Ok(Sorted {
            inner: Inner::Merge {
                merge: Merge::open(runs)?,
                _dir: self.dir.clone(),
            },
        })
    }
}

/// One run being read block by block; its file is removed once read to the end.
struct RunReader<R: Record> {
    path: PathBuf,
    file: Option<File>,
    block: Vec<u8>,
    at: usize,
    left: u64,
    _record: std::marker::PhantomData<R>,
}

impl<R: Record> RunReader<R> {
    fn open(run: Run) -> Result<Self> {
        let file = File::open(&run.path).map_err(|e| Error::io(&run.path, e))?;
        Ok(RunReader {
            path: run.path,
            file: Some(file),
            block: Vec::new(),
            at: 0,
            left: run.records,
            _record: std::marker::PhantomData,
        })
    }

    fn next(&mut self) -> Result<Option<R>> {
        if self.at == self.block.len() {
            if self.left == 0 {
                if self.file.take().is_some() {
                    // Free the disk early (the directory goes at the end anyway).
                    let _ = std::fs::remove_file(&self.path);
                }
                return Ok(None);
            }
            let per_block = (READ_BLOCK / R::BYTES).max(1) as u64;
            let count = self.left.min(per_block) as usize;
            self.block.resize(count * R::BYTES, 0);
            let file = self.file.as_mut().expect("a run with records left is open");
            file.read_exact(&mut self.block)
                .map_err(|e| Error::io(&self.path, e))?;
            self.at = 0;
            self.left -= count as u64;
        }
        let r = R::decode(&self.block[self.at..self.at + R::BYTES]);
        self.at += R::BYTES;
        Ok(Some(r))
    }
}

/// The k-way merge of sorted runs.
struct Merge<R: Record> {
    readers: Vec<RunReader<R>>,
    heap: BinaryHeap<Reverse<(R, usize)>>,
    failed: bool,
}

impl<R: Record> Merge<R> {
    fn open(runs: Vec<Run>) -> Result<Self> {
        let mut readers = runs
            .into_iter()
            .map(RunReader::open)
            .collect::<Result<Vec<_>>>()?;
        let mut heap = BinaryHeap::with_capacity(readers.len());
        for (i, reader) in readers.iter_mut().enumerate() {
            if let Some(r) = reader.next()? {
                heap.push(Reverse((r, i)));
            }
        }
        Ok(Merge {
            readers,
            heap,
            failed: false,
        })
    }
}

impl<R: Record> Iterator for Merge<R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        if self.failed {
            return None;
        }
        let Reverse((r, i)) = self.heap.pop()?;
        match self.readers[i].next() {
            Ok(Some(next)) => self.heap.push(Reverse((next, i))),
            Ok(None) => {}
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        }
        Some(Ok(r))
    }
}

enum Inner<R: Record> {
    Memory(std::vec::IntoIter<R>),
    // The directory is held until the merge is dropped.
    Merge {
        merge: Merge<R>,
        _dir: Arc<SpillDir>,
    },
}

/// The sorted records of an [`ExternalSorter`], streamed.
pub struct Sorted<R: Record> {
    inner: Inner<R>,
}

impl<R: Record> Iterator for Sorted<R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        match &mut self.inner {
            Inner::Memory(records) => records.next().map(Ok),
            Inner::Merge { merge, .. } => merge.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted_externally(
        records: &[(u64, u64)],
        budget: u64,
        dir: &Arc<SpillDir>,
    ) -> Vec<(u64, u64)> {
        let mut sorter = ExternalSorter::new(budget, dir.clone());
        sorter.extend(records).unwrap();
        assert_eq!(sorter.len(), records.len() as u64);
        sorter.finish().unwrap().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn many_runs_merge_in_several_levels_and_leave_no_file() {
        let parent = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(Some(parent.path()));
        // 10,000 records of 16 bytes with a 160-byte budget: 1,000 runs, 3 levels.
        let records: Vec<(u64, u64)> = (0..10_000u64)
            .map(|i| (crate::rng::mix64(i) % 97, i % 7))
            .collect();
        let mut expected = records.clone();
        expected.sort_unstable();
        let mut sorter = ExternalSorter::new(160, dir.clone());
        sorter.extend(&records).unwrap();
        let sorted = sorter.finish().unwrap();
        let got: Vec<(u64, u64)> = sorted.map(|r| r.unwrap()).collect();
        assert_eq!(got, expected);
        let spill = dir.path().unwrap().to_path_buf();
        assert!(spill.starts_with(parent.path()));
        drop(dir);
        assert!(!spill.exists());
    }

    #[test]
    fn nothing_is_written_under_the_budget() {
        let parent = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(Some(parent.path()));
        let got = sorted_externally(&[(3, 1), (1, 2), (3, 0)], 1 << 20, &dir);
        assert_eq!(got, [(1, 2), (3, 0), (3, 1)]);
        assert!(dir.path().is_none());
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_unwritable_spill_directory_is_an_io_error() {
        let dir = SpillDir::new(Some(Path::new("/nonexistent-thresher-dir")));
        let mut sorter = ExternalSorter::<u64>::new(8, dir);
        let err = sorter.extend(&[2, 1]).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }

    proptest! {
        #[test]
        fn equals_an_in_memory_sort(
            records in proptest::collection::vec((0u64..20, 0u64..5), 0..400),
            budget in 1u64..200,
        ) {
            let dir = SpillDir::new(None);
            let mut expected = records.clone();
            expected.sort();
            prop_assert_eq!(sorted_externally(&records, budget, &dir), expected.clone());
            // The same records again (a fresh sorter, another budget): the same order.
            prop_assert_eq!(sorted_externally(&records, budget * 7 + 3, &dir), expected);
        }
    }
}
