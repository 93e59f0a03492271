//! Collecting signatures under a memory budget: in memory while the signatures and
//! the band keys they will need fit the budget, on disk past it.
//!
//! The number of documents is known only at the end of the stream, so the collector
//! starts in memory and switches when the buffered state passes the budget: it then
//! writes the buffered signatures to a [`SignatureWriter`] and their LSH band keys to
//! an [`ExternalSorter`], frees the buffer, and does the same for every later batch.
//! Per-document lengths, flags and scores stay in memory either way (17 bytes a
//! document at most).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::lsh::{band_hash, LshParams};
use super::signature_file::{SignatureFile, SignatureWriter};
use super::signatures::CorpusSignatures;
use crate::external_sort::{ExternalSorter, Record, SpillDir};
use crate::Result;

/// Bytes per document of the in-memory path besides its signature: the `(band hash,
/// document)` keys of one band at a time, 16 bytes each.
pub const KEY_BYTES: u64 = 16;

/// Documents whose band keys are computed at once when spilling.
const KEY_BLOCK: usize = 4096;

/// The bytes the in-memory path holds for the signatures and band keys of `documents`
/// documents of `num_perm` slots.
pub fn in_memory_bytes(documents: u64, num_perm: usize) -> u64 {
    documents * (num_perm as u64 * 4 + KEY_BYTES)
}

/// A memory budget and where to spill past it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    /// Bytes of signatures and band keys held in memory; `None`: no limit (never spill).
    pub memory: Option<u64>,
    /// Parent of the spill directory (the system's temporary directory if `None`).
    pub spill_dir: Option<PathBuf>,
}

/// One LSH band of one document, sorted by `(band, hash, doc)`: the order in which
/// the in-memory path visits each band's keys, so groups and pairs come out the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BandKey {
    /// Band number.
    pub band: u32,
    /// [`band_hash`] of the band's slots.
    pub hash: u64,
    /// Document index.
    pub doc: u32,
}

impl Record for BandKey {
    const BYTES: usize = 16;
    fn encode(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.band.to_le_bytes());
        out[4..12].copy_from_slice(&self.hash.to_le_bytes());
        out[12..].copy_from_slice(&self.doc.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        BandKey {
            band: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            hash: u64::from_le_bytes([b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]]),
            doc: u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
        }
    }
}

/// The outcome of a collection.
pub enum Collected {
    /// Everything fitted the budget: the in-memory path runs as it always did.
    Memory(CorpusSignatures),
    /// The signatures and band keys are on disk.
    Spilled(Spilled),
}

/// A corpus whose signatures and band keys are on disk.
pub struct Spilled {
    /// Lengths, flags and scores (its `signatures` are empty).
    pub corpus: CorpusSignatures,
    /// The signatures, a row per document.
    pub signatures: SignatureFile,
    /// The band keys of every non-empty document.
    pub keys: ExternalSorter<BandKey>,
    /// The directory holding the files (removed when the last owner drops it).
    pub dir: Arc<SpillDir>,
    /// The memory budget.
    pub memory: u64,
}

struct Writer {
    dir: Arc<SpillDir>,
    signatures: SignatureWriter,
    keys: ExternalSorter<BandKey>,
    block: Vec<u32>,
}

/// Gathers signatures batch by batch under a [`Budget`].
pub struct Collector {
    num_perm: usize,
    lsh: LshParams,
    memory: Option<u64>,
    spill_dir: Option<PathBuf>,
    corpus: CorpusSignatures,
    writer: Option<Writer>,
}

impl Collector {
    /// An empty collector of signatures of `num_perm` slots banded by `lsh`.
    pub fn new(num_perm: usize, lsh: LshParams, budget: &Budget) -> Self {
        Collector {
            num_perm,
            lsh,
            memory: budget.memory,
            spill_dir: budget.spill_dir.clone(),
            corpus: CorpusSignatures::default(),
            writer: None,
        }
    }

    /// Lengths and scores, to be extended by the caller (one entry per document).
    pub fn corpus_mut(&mut self) -> &mut CorpusSignatures {
        &mut self.corpus
    }

    /// Add `rows` documents: `fill` writes their signatures into the slice it gets
    /// (`rows * num_perm` slots) and pushes their non-empty flags.
    pub fn add(
        &mut self,
        rows: usize,
        fill: impl FnOnce(&mut [u32], &mut Vec<bool>),
    ) -> Result<()> {
        let k = self.num_perm;
        let first = self.corpus.non_empty.len();
        match &mut self.writer {
            None => {
                // The in-memory path: signed in place, as before budgets existed.
                let start = self.corpus.signatures.len();
                self.corpus.signatures.resize(start + rows * k, 0);
                fill(
                    &mut self.corpus.signatures[start..],
                    &mut self.corpus.non_empty,
                );
                let documents = self.corpus.non_empty.len() as u64;
                if self
                    .memory
                    .is_some_and(|m| in_memory_bytes(documents, k) > m)
                {
                    self.start_spilling()?;
                }
            }
            Some(w) => {
                w.block.clear();
                w.block.resize(rows * k, 0);
                fill(&mut w.block, &mut self.corpus.non_empty);
                let block = std::mem::take(&mut w.block);
                let done = write_block(w, &block, first, &self.corpus.non_empty, self.lsh, k);
                w.block = block;
                done?;
            }
        }
        Ok(())
    }

    fn start_spilling(&mut self) -> Result<()> {
        let memory = self.memory.unwrap_or(u64::MAX);
        let dir = SpillDir::new(self.spill_dir.as_deref().map(Path::new));
        let mut writer = Writer {
            signatures: SignatureWriter::create(&dir, self.num_perm)?,
            keys: ExternalSorter::new(memory / 2, dir.clone()),
            dir,
            block: Vec::new(),
        };
        let k = self.num_perm;
        let buffered = std::mem::take(&mut self.corpus.signatures);
        for (b, block) in buffered.chunks(KEY_BLOCK * k).enumerate() {
            write_block(
                &mut writer,
                block,
                b * KEY_BLOCK,
                &self.corpus.non_empty,
                self.lsh,
                k,
            )?;
        }
        self.writer = Some(writer);
        Ok(())
    }

    /// The collected corpus, in memory or spilled.
    pub fn finish(self) -> Result<Collected> {
        match self.writer {
            None => Ok(Collected::Memory(self.corpus)),
            Some(w) => Ok(Collected::Spilled(Spilled {
                corpus: self.corpus,
                signatures: w.signatures.finish()?,
                keys: w.keys,
                dir: w.dir,
                memory: self.memory.unwrap_or(u64::MAX),
            })),
        }
    }
}

/// Write the signatures of documents `first..` (`block`) and sort their band keys.
fn write_block(
    w: &mut Writer,
    block: &[u32],
    first: usize,
    non_empty: &[bool],
    lsh: LshParams,
    k: usize,
) -> Result<()> {
    w.signatures.append(block)?;
    for (c, chunk) in block.chunks(KEY_BLOCK * k).enumerate() {
        let base = first + c * KEY_BLOCK;
        let keys: Vec<BandKey> = chunk
            .par_chunks(k)
            .enumerate()
            .filter(|&(i, _)| non_empty[base + i])
            .flat_map_iter(|(i, sig)| {
                (0..lsh.bands).map(move |band| BandKey {
                    band: band as u32,
                    hash: band_hash(&sig[band * lsh.rows..(band + 1) * lsh.rows], band as u64),
                    doc: (base + i) as u32,
                })
            })
            .collect();
        w.keys.extend(&keys)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_keys_round_trip_and_sort_by_band_first() {
        let a = BandKey {
            band: 1,
            hash: 0,
            doc: 0,
        };
        let b = BandKey {
            band: 0,
            hash: u64::MAX,
            doc: 9,
        };
        assert!(b < a);
        let mut bytes = [0u8; 16];
        b.encode(&mut bytes);
        assert_eq!(BandKey::decode(&bytes), b);
    }

    #[test]
    fn the_collector_spills_once_the_budget_is_passed() {
        let lsh = LshParams { bands: 2, rows: 2 };
        let parent = tempfile::tempdir().unwrap();
        let budget = Budget {
            memory: Some(in_memory_bytes(3, 4)),
            spill_dir: Some(parent.path().to_path_buf()),
        };
        let mut c = Collector::new(4, lsh, &budget);
        let add = |c: &mut Collector, rows: usize| {
            c.add(rows, |sigs, flags| {
                for (i, s) in sigs.iter_mut().enumerate() {
                    *s = i as u32 % 5;
                }
                flags.extend(std::iter::repeat_n(true, rows));
            })
            .unwrap()
        };
        add(&mut c, 2);
        assert!(c.writer.is_none());
        add(&mut c, 2);
        assert!(c.writer.is_some() && c.corpus.signatures.is_empty());
        add(&mut c, 3);
        let Collected::Spilled(s) = c.finish().unwrap() else {
            panic!("not spilled")
        };
        assert_eq!((s.signatures.rows(), s.keys.len()), (7, 14));
        let dir = s.dir.path().unwrap().to_path_buf();
        assert!(dir.starts_with(parent.path()));
        drop(s);
        assert!(!dir.exists());
    }
}
