//! The fastText model file (`.bin`, and `.ftz` when quantized), read and written.
//!
//! Little-endian, in this order (fastText's `FastText::saveModel`):
//!
//! 1. `i32` magic 793712314, `i32` version (12; 11 is read too);
//! 2. the arguments: twelve `i32` (dim, ws, epoch, minCount, neg, wordNgrams, loss,
//!    model, bucket, minn, maxn, lrUpdateRate) and the `f64` sampling threshold;
//! 3. the dictionary: `i32` size, `i32` nwords, `i32` nlabels, `i64` ntokens, `i64`
//!    pruneidx size (-1: not pruned); per entry the bytes, a `\0`, an `i64` count and
//!    an `i8` type (0 word, 1 label); then the pruned pairs (`i32` bucket, `i32` row);
//! 4. a `u8` "input quantized", the input matrix, a `u8` "output quantized", the output
//!    matrix. A dense matrix is `i64` rows, `i64` cols and the `f32` values. A quantized
//!    one is `u8` qnorm, `i64` rows, `i64` cols, `i32` code size, the codes, the
//!    product quantizer (`i32` dim, nsubq, dsub, lastdsub and `dim * 256` `f32`
//!    centroids), and with qnorm the norm codes (one byte per row) and their
//!    one-dimensional quantizer.

use std::path::Path;

use super::dictionary::{Dictionary, Entry, EntryType};
use super::matrix::{DenseMatrix, Matrix, ProductQuantizer, QuantMatrix, KSUB};
use super::model::{Args, LossName, Model, ModelName};
use crate::{Error, Result};

/// The first `i32` of every fastText model file.
pub const FILE_MAGIC: i32 = 793_712_314;
/// The format version written (and the newest read).
pub const FILE_VERSION: i32 = 12;
/// The oldest version read (version 11 supervised models have no character n-grams).
const OLDEST_VERSION: i32 = 11;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> std::result::Result<&'a [u8], String> {
        if self.bytes.len() - self.at < n {
            return Err(format!(
                "truncated: {what} needs {n} bytes at offset {}, the file has {}",
                self.at,
                self.bytes.len()
            ));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn i32(&mut self, what: &str) -> std::result::Result<i32, String> {
        Ok(i32::from_le_bytes(self.take(4, what)?.try_into().unwrap()))
    }

    fn i64(&mut self, what: &str) -> std::result::Result<i64, String> {
        Ok(i64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }

    fn f64(&mut self, what: &str) -> std::result::Result<f64, String> {
        Ok(f64::from_le_bytes(self.take(8, what)?.try_into().unwrap()))
    }

    fn u8(&mut self, what: &str) -> std::result::Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn bool(&mut self, what: &str) -> std::result::Result<bool, String> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(format!(
                "{what} must be 0 or 1, found {v} at offset {}",
                self.at - 1
            )),
        }
    }

    fn f32s(&mut self, n: usize, what: &str) -> std::result::Result<Vec<f32>, String> {
        let bytes = self.take(n.checked_mul(4).ok_or("size overflow")?, what)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }

    fn count(&mut self, what: &str, limit: usize) -> std::result::Result<usize, String> {
        let v = self.i64(what)?;
        if v < 0 || v as u64 > limit as u64 {
            return Err(format!("{what} {v} is out of range"));
        }
        Ok(v as usize)
    }
}

fn read_args(r: &mut Reader<'_>) -> std::result::Result<Args, String> {
    let mut v = [0i32; 12];
    let names = [
        "dim",
        "ws",
        "epoch",
        "minCount",
        "neg",
        "wordNgrams",
        "loss",
        "model",
        "bucket",
        "minn",
        "maxn",
        "lrUpdateRate",
    ];
    for (slot, name) in v.iter_mut().zip(names) {
        *slot = r.i32(name)?;
    }
    let t = r.f64("t")?;
    let loss = LossName::from_code(v[6]).ok_or_else(|| format!("unknown loss {}", v[6]))?;
    let model = ModelName::from_code(v[7]).ok_or_else(|| format!("unknown model kind {}", v[7]))?;
    Ok(Args {
        dim: v[0],
        ws: v[1],
        epoch: v[2],
        min_count: v[3],
        neg: v[4],
        word_ngrams: v[5],
        loss,
        model,
        bucket: v[8],
        minn: v[9],
        maxn: v[10],
        lr_update_rate: v[11],
        t,
    })
}

fn read_quantizer(r: &mut Reader<'_>) -> std::result::Result<ProductQuantizer, String> {
    let dim = r.i32("quantizer dim")?;
    let nsubq = r.i32("quantizer nsubq")?;
    let dsub = r.i32("quantizer dsub")?;
    let lastdsub = r.i32("quantizer lastdsub")?;
    if dim <= 0 || nsubq <= 0 || dsub <= 0 || lastdsub <= 0 || lastdsub > dsub.max(lastdsub) {
        return Err(format!(
            "quantizer shape dim {dim}, nsubq {nsubq}, dsub {dsub}, lastdsub {lastdsub}"
        ));
    }
    let (dim, nsubq, dsub, lastdsub) = (
        dim as usize,
        nsubq as usize,
        dsub as usize,
        lastdsub as usize,
    );
    if dsub * (nsubq - 1) + lastdsub != dim {
        return Err(format!(
            "quantizer of {nsubq} sub-vectors of {dsub} (last {lastdsub}) for dimension {dim}"
        ));
    }
    let centroids = r.f32s(dim * KSUB, "quantizer centroids")?;
    Ok(ProductQuantizer {
        dim,
        nsubq,
        dsub,
        lastdsub,
        centroids,
    })
}

fn read_matrix(r: &mut Reader<'_>, quantized: bool) -> std::result::Result<Matrix, String> {
    let limit = r.bytes.len();
    if !quantized {
        let rows = r.count("matrix rows", limit)?;
        let cols = r.count("matrix cols", limit)?;
        let n = rows.checked_mul(cols).ok_or("matrix size overflow")?;
        let data = r.f32s(n, "matrix values")?;
        return Ok(Matrix::Dense(DenseMatrix { rows, cols, data }));
    }
    let qnorm = r.bool("qnorm")?;
    let rows = r.count("matrix rows", limit)?;
    let cols = r.count("matrix cols", limit)?;
    let codesize = r.i32("code size")?;
    if codesize < 0 {
        return Err(format!("code size {codesize}"));
    }
    let codes = r.take(codesize as usize, "codes")?.to_vec();
    let pq = read_quantizer(r)?;
    if pq.dim != cols || codes.len() != rows * pq.nsubq {
        return Err(format!(
            "{} codes for {rows} rows of {} sub-vectors (dimension {cols}, quantizer {})",
            codes.len(),
            pq.nsubq,
            pq.dim
        ));
    }
    let (norm_codes, npq) = if qnorm {
        let norm_codes = r.take(rows, "norm codes")?.to_vec();
        let npq = read_quantizer(r)?;
        if npq.dim != 1 || npq.nsubq != 1 {
            return Err("the norm quantizer must be one-dimensional".into());
        }
        (norm_codes, Some(npq))
    } else {
        (Vec::new(), None)
    };
    Ok(Matrix::Quant(QuantMatrix {
        qnorm,
        rows,
        cols,
        codes,
        pq,
        norm_codes,
        npq,
    }))
}

fn parse(bytes: &[u8]) -> std::result::Result<Model, String> {
    let mut r = Reader { bytes, at: 0 };
    let magic = r.i32("magic")?;
    if magic != FILE_MAGIC {
        return Err(format!(
            "wrong magic number {magic} (a fastText model starts with {FILE_MAGIC})"
        ));
    }
    let version = r.i32("version")?;
    if !(OLDEST_VERSION..=FILE_VERSION).contains(&version) {
        return Err(format!(
            "unsupported version {version} (versions {OLDEST_VERSION} to {FILE_VERSION} are read)"
        ));
    }
    let mut args = read_args(&mut r)?;
    if args.model != ModelName::Supervised {
        return Err(format!(
            "a {} model (word vectors), not a supervised classifier",
            args.model.name()
        ));
    }
    if version == 11 {
        args.maxn = 0;
    }
    if args.dim <= 0 || args.bucket < 0 || args.minn < 0 || args.maxn < 0 || args.word_ngrams < 0 {
        return Err(format!(
            "invalid arguments: dim {}, bucket {}, minn {}, maxn {}, wordNgrams {}",
            args.dim, args.bucket, args.minn, args.maxn, args.word_ngrams
        ));
    }
    let size = r.i32("dictionary size")?;
    let nwords = r.i32("word count")?;
    let nlabels = r.i32("label count")?;
    let ntokens = r.i64("token count")?;
    let prune_size = r.i64("pruneidx size")?;
    if size < 0 || nwords < 0 || nlabels < 0 || nwords as i64 + nlabels as i64 != size as i64 {
        return Err(format!(
            "dictionary of {size} entries with {nwords} words and {nlabels} labels"
        ));
    }
    if size as usize > bytes.len() / 10 + 1 {
        return Err(format!(
            "dictionary of {size} entries in a file of {} bytes",
            bytes.len()
        ));
    }
    let mut entries = Vec::with_capacity(size as usize);
    for i in 0..size as usize {
        let rest = &bytes[r.at..];
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("truncated: entry {i} of the dictionary has no end"))?;
        let word = rest[..end].to_vec();
        r.at += end + 1;
        let count = r.i64("entry count")?;
        let kind = match r.u8("entry type")? {
            0 => EntryType::Word,
            1 => EntryType::Label,
            t => return Err(format!("entry {i} has type {t} (0 word, 1 label)")),
        };
        entries.push(Entry { word, count, kind });
    }
    let words_seen = entries.iter().filter(|e| e.kind == EntryType::Word).count();
    if words_seen != nwords as usize {
        return Err(format!(
            "the dictionary says {nwords} words but lists {words_seen}"
        ));
    }
    let pruneidx = if prune_size >= 0 {
        let n = prune_size as usize;
        if n > bytes.len() / 8 {
            return Err(format!(
                "pruneidx of {n} pairs in a file of {} bytes",
                bytes.len()
            ));
        }
        let mut pairs = Vec::with_capacity(n);
        for _ in 0..n {
            pairs.push((r.i32("pruneidx bucket")?, r.i32("pruneidx row")?));
        }
        Some(pairs)
    } else {
        None
    };
    let dict = Dictionary::new(
        entries,
        ntokens,
        pruneidx,
        args.minn as usize,
        args.maxn as usize,
        args.bucket as u32,
        args.word_ngrams as usize,
    )?;
    let quant_input = r.bool("input quantization flag")?;
    let input = read_matrix(&mut r, quant_input)?;
    let qout = r.bool("output quantization flag")?;
    let output = read_matrix(&mut r, quant_input && qout)?;
    if r.at != bytes.len() {
        return Err(format!(
            "{} bytes after the end of the model",
            bytes.len() - r.at
        ));
    }
    Model::new(args, dict, input, output)
}

/// The model in `bytes`; errors name `path` (use `<memory>` for bytes of no file).
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
    parse(bytes).map_err(|message| Error::BadFastText {
        path: path.to_path_buf(),
        message,
    })
}

/// Read the model file at `path`.
pub fn read(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    from_bytes(&bytes, path)
}

fn put_quantizer(out: &mut Vec<u8>, pq: &ProductQuantizer) {
    for v in [pq.dim, pq.nsubq, pq.dsub, pq.lastdsub] {
        out.extend_from_slice(&(v as i32).to_le_bytes());
    }
    for v in &pq.centroids {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn put_matrix(out: &mut Vec<u8>, m: &Matrix) {
    match m {
        Matrix::Dense(d) => {
            out.extend_from_slice(&(d.rows as i64).to_le_bytes());
            out.extend_from_slice(&(d.cols as i64).to_le_bytes());
            for v in &d.data {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        Matrix::Quant(q) => {
            out.push(q.qnorm as u8);
            out.extend_from_slice(&(q.rows as i64).to_le_bytes());
            out.extend_from_slice(&(q.cols as i64).to_le_bytes());
            out.extend_from_slice(&(q.codes.len() as i32).to_le_bytes());
            out.extend_from_slice(&q.codes);
            put_quantizer(out, &q.pq);
            if let (true, Some(npq)) = (q.qnorm, &q.npq) {
                out.extend_from_slice(&q.norm_codes);
                put_quantizer(out, npq);
            }
        }
    }
}

/// The bytes of `model` in fastText's format, version 12.
pub fn to_bytes(model: &Model) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&FILE_MAGIC.to_le_bytes());
    out.extend_from_slice(&FILE_VERSION.to_le_bytes());
    let a = model.args();
    for v in [
        a.dim,
        a.ws,
        a.epoch,
        a.min_count,
        a.neg,
        a.word_ngrams,
        a.loss.code(),
        a.model.code(),
        a.bucket,
        a.minn,
        a.maxn,
        a.lr_update_rate,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&a.t.to_le_bytes());
    let d = model.dictionary();
    out.extend_from_slice(&(d.entries().len() as i32).to_le_bytes());
    out.extend_from_slice(&(d.nwords() as i32).to_le_bytes());
    out.extend_from_slice(&(d.nlabels() as i32).to_le_bytes());
    out.extend_from_slice(&d.ntokens().to_le_bytes());
    let prune_size = d.pruneidx().map_or(-1i64, |p| p.len() as i64);
    out.extend_from_slice(&prune_size.to_le_bytes());
    for e in d.entries() {
        out.extend_from_slice(&e.word);
        out.push(0);
        out.extend_from_slice(&e.count.to_le_bytes());
        out.push(match e.kind {
            EntryType::Word => 0,
            EntryType::Label => 1,
        });
    }
    for &(from, to) in d.pruneidx().unwrap_or(&[]) {
        out.extend_from_slice(&from.to_le_bytes());
        out.extend_from_slice(&to.to_le_bytes());
    }
    let quant_input = model.input().is_quantized();
    out.push(quant_input as u8);
    put_matrix(&mut out, model.input());
    out.push((quant_input && model.output().is_quantized()) as u8);
    put_matrix(&mut out, model.output());
    out
}

/// Write `model` to `path` in fastText's format, under a temporary name renamed when
/// complete (nothing is left at `path` on failure).
pub fn write(model: &Model, path: &Path) -> Result<()> {
    let bytes = to_bytes(model);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::fasttext::matrix::DenseMatrix;

    fn tiny(quantized: bool) -> Model {
        let entries = vec![
            Entry {
                word: b"</s>".to_vec(),
                count: 3,
                kind: EntryType::Word,
            },
            Entry {
                word: "h\u{e9}llo".as_bytes().to_vec(),
                count: 2,
                kind: EntryType::Word,
            },
            Entry {
                word: b"__label__a".to_vec(),
                count: 2,
                kind: EntryType::Label,
            },
            Entry {
                word: b"__label__b".to_vec(),
                count: 1,
                kind: EntryType::Label,
            },
        ];
        let mut args = Args::supervised();
        args.dim = 4;
        args.bucket = 10;
        args.minn = 2;
        args.maxn = 3;
        let dict = Dictionary::new(
            entries,
            5,
            quantized.then(|| vec![(3, 0), (7, 1)]),
            2,
            3,
            10,
            1,
        )
        .unwrap();
        let dense = |rows: usize| DenseMatrix {
            rows,
            cols: 4,
            data: (0..rows * 4).map(|v| (v as f32 * 0.37).sin()).collect(),
        };
        let input = if quantized {
            let pq = ProductQuantizer {
                dim: 4,
                nsubq: 2,
                dsub: 2,
                lastdsub: 2,
                centroids: (0..4 * KSUB).map(|v| (v as f32 * 0.1).cos()).collect(),
            };
            let npq = ProductQuantizer {
                dim: 1,
                nsubq: 1,
                dsub: 1,
                lastdsub: 1,
                centroids: (0..KSUB).map(|v| v as f32 / 256.0).collect(),
            };
            Matrix::Quant(QuantMatrix {
                qnorm: true,
                rows: 4,
                cols: 4,
                codes: vec![1, 2, 3, 4, 5, 6, 7, 8],
                pq,
                norm_codes: vec![10, 20, 30, 40],
                npq: Some(npq),
            })
        } else {
            Matrix::Dense(dense(12))
        };
        Model::new(args, dict, input, Matrix::Dense(dense(2))).unwrap()
    }

    #[test]
    fn models_round_trip_byte_for_byte() {
        for quantized in [false, true] {
            let model = tiny(quantized);
            let bytes = to_bytes(&model);
            let back = from_bytes(&bytes, Path::new("m.bin")).unwrap();
            assert_eq!(to_bytes(&back), bytes);
            assert_eq!(back.labels(), vec!["__label__a", "__label__b"]);
            assert_eq!(back.input(), model.input());
            assert_eq!(back.is_quantized(), quantized);
        }
    }

    #[test]
    fn every_truncation_is_an_error_naming_the_file() {
        let bytes = to_bytes(&tiny(true));
        for cut in 0..bytes.len() {
            let err = from_bytes(&bytes[..cut], Path::new("cut.ftz")).unwrap_err();
            assert!(err.to_string().starts_with("cut.ftz: "), "{err}");
        }
    }

    #[test]
    fn wrong_magic_version_and_kind_are_named() {
        let bytes = to_bytes(&tiny(false));
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert!(from_bytes(&bad, Path::new("x"))
            .unwrap_err()
            .to_string()
            .contains("magic"));
        let mut bad = bytes.clone();
        bad[4..8].copy_from_slice(&13i32.to_le_bytes());
        assert!(from_bytes(&bad, Path::new("x"))
            .unwrap_err()
            .to_string()
            .contains("unsupported version 13"));
        let mut bad = bytes.clone();
        bad[8 + 7 * 4..8 + 8 * 4].copy_from_slice(&2i32.to_le_bytes());
        assert!(from_bytes(&bad, Path::new("x"))
            .unwrap_err()
            .to_string()
            .contains("skipgram"));
    }

    proptest::proptest! {
        #[test]
        fn dense_models_round_trip(
            words in proptest::collection::btree_set("[a-z\u{e9}\u{4e00}]{1,6}", 1..8),
            labels in 1usize..5,
            dim in 1usize..6,
            bucket in 0u32..20,
            seed in 0u32..1000,
        ) {
            let mut entries: Vec<Entry> = words
                .iter()
                .map(|w| Entry { word: w.as_bytes().to_vec(), count: 3, kind: EntryType::Word })
                .collect();
            let nwords = entries.len();
            for l in 0..labels {
                entries.push(Entry {
                    word: format!("__label__{l}").into_bytes(),
                    count: (labels - l) as i64,
                    kind: EntryType::Label,
                });
            }
            let mut args = Args::supervised();
            args.dim = dim as i32;
            args.bucket = bucket as i32;
            args.loss = LossName::HierarchicalSoftmax;
            let dict = Dictionary::new(entries, 9, None, 0, 0, bucket, 1).unwrap();
            let values = |n: usize| -> Vec<f32> {
                (0..n).map(|i| ((i as u32 * 2654435761u32) ^ seed) as f32 / 4e9).collect()
            };
            let rows = nwords + bucket as usize;
            let input = Matrix::Dense(DenseMatrix { rows, cols: dim, data: values(rows * dim) });
            let output = Matrix::Dense(DenseMatrix { rows: labels, cols: dim, data: values(labels * dim) });
            let model = Model::new(args, dict, input, output).unwrap();
            let bytes = to_bytes(&model);
            let back = from_bytes(&bytes, Path::new("p.bin")).unwrap();
            proptest::prop_assert_eq!(to_bytes(&back), bytes);
            proptest::prop_assert_eq!(back.labels(), model.labels());
        }
    }

    #[test]
    fn write_renames_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.bin");
        let model = tiny(false);
        write(&model, &path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), to_bytes(&model));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
