//! An exact multiset (value → occurrences) in bounded memory: counts stay in a hash map
//! until it reaches its share of the memory budget, then the map is written out as a
//! sorted run (an owner-only file in a private temporary directory) and emptied. At the
//! end the runs and the map are merged in key order, so equal keys from different runs
//! add up — exact whatever the number of distinct values, never a sketch.
//!
//! Hand-written: an external merge-count over our own key types is product logic (it
//! backs uniqueness and the exact median), and the crates that spill (`extsort`) sort
//! items but do not count them, nor serialise their state into `--part` files.
//!
//! Memory: at most the budget in the map (estimated per entry as key bytes plus
//! [`ENTRY_OVERHEAD`]), plus one buffered reader per run while merging; runs are
//! compacted into one whenever [`MAX_RUNS`] accumulate, so a merge never holds more than
//! that many files open.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::hash::Hash;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::processors::profiler::decimal::Decimal;

/// Estimated bytes of one map entry besides the key's own heap bytes (the key's inline
/// part, the count, the hash table's slot and control bytes, allocator slack).
pub const ENTRY_OVERHEAD: usize = 64;
/// Runs are merged into one when this many exist.
pub const MAX_RUNS: usize = 16;

/// A key the counter can write to a run and to a state file.
pub trait SpillKey: Ord + Hash + Eq + Clone {
    fn heap_bytes(&self) -> usize;
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Option<Self>;
    fn to_text(&self) -> String;
    fn from_text(text: &str) -> Option<Self>;
}

impl SpillKey for Vec<u8> {
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
    fn encode(&self) -> Vec<u8> {
        self.clone()
    }
    fn decode(bytes: &[u8]) -> Option<Self> {
        Some(bytes.to_vec())
    }
    fn to_text(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self)
    }
    fn from_text(text: &str) -> Option<Self> {
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    }
}

impl SpillKey for Decimal {
    fn heap_bytes(&self) -> usize {
        // The limb vector's allocation for numbers of up to 18 significant digits
        // (two limbs) plus allocator slack; cheap, as it is asked for every new value.
        24
    }
    fn encode(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
    fn decode(bytes: &[u8]) -> Option<Self> {
        Decimal::parse(std::str::from_utf8(bytes).ok()?)
    }
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> Option<Self> {
        Decimal::parse(text)
    }
}

/// Where and how much: shared by every counter of one state.
#[derive(Debug, Clone)]
pub struct SpillConfig {
    /// Bytes this counter may hold in memory.
    pub budget: usize,
    /// Parent of the private temporary directory runs go to.
    pub dir: PathBuf,
}

#[derive(Debug)]
struct Run {
    path: PathBuf,
    /// Keeps the private directory (and so the file) alive as long as a run uses it.
    _dir: Arc<tempfile::TempDir>,
}

/// The in-memory map's hasher: the profiler's fast hasher (its maps of top values are
/// keyed by table values too) instead of SipHash, which `perf` showed hashing every
/// value of `dynameta test` on 200k distinct values (BENCHMARKS.md, data quality). A
/// collision-heavy table only slows a map that the budget caps anyway.
type FastHash = std::hash::BuildHasherDefault<crate::processors::hash::StrHasher>;

/// Value → occurrences, exact, in bounded memory (see the module documentation).
#[derive(Debug)]
pub struct SpillCounter<K: SpillKey> {
    mem: HashMap<K, u64, FastHash>,
    mem_bytes: usize,
    runs: Vec<Run>,
    dir: Option<Arc<tempfile::TempDir>>,
    config: SpillConfig,
    next_run: u64,
}

/// An I/O failure of a spill file, with the directory it concerns.
#[derive(Debug)]
pub struct SpillError {
    pub dir: PathBuf,
    pub source: io::Error,
}

impl<K: SpillKey> SpillCounter<K> {
    pub fn new(config: SpillConfig) -> Self {
        SpillCounter {
            mem: HashMap::default(),
            mem_bytes: 0,
            runs: Vec::new(),
            dir: None,
            config,
            next_run: 0,
        }
    }

    pub fn set_config(&mut self, config: SpillConfig) {
        self.config = config;
    }

    /// Where and how much this counter spills.
    pub fn config(&self) -> &SpillConfig {
        &self.config
    }

    /// Runs written so far (0 while everything fits in memory).
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Adds `count` occurrences of `key`.
    pub fn add(&mut self, key: K, count: u64) -> Result<(), SpillError> {
        if let Some(c) = self.mem.get_mut(&key) {
            // Saturating: counts come from state files too (a damaged one must not
            // panic); a real table has at most 2^64 - 1 items.
            *c = c.saturating_add(count);
            return Ok(());
        }
        self.mem_bytes += key.heap_bytes() + ENTRY_OVERHEAD;
        self.mem.insert(key, count);
        if self.mem_bytes > self.config.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Adds another counter's occurrences (its runs are taken over, not copied).
    pub fn merge(&mut self, other: SpillCounter<K>) -> Result<(), SpillError> {
        self.runs.extend(other.runs);
        for (k, c) in other.mem {
            self.add(k, c)?;
        }
        if self.runs.len() >= MAX_RUNS {
            self.compact()?;
        }
        Ok(())
    }

    fn err(&self, source: io::Error) -> SpillError {
        SpillError {
            dir: self.config.dir.clone(),
            source,
        }
    }

    fn new_run_path(&mut self) -> Result<(PathBuf, Arc<tempfile::TempDir>), SpillError> {
        let dir = match &self.dir {
            Some(d) => d.clone(),
            None => {
                let mut builder = tempfile::Builder::new();
                builder.prefix("dynameta-dq-");
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    // Spilled values are table data: owner-only.
                    builder.permissions(std::fs::Permissions::from_mode(0o700));
                }
                let d = builder
                    .tempdir_in(&self.config.dir)
                    .map_err(|e| self.err(e))?;
                let d = Arc::new(d);
                self.dir = Some(d.clone());
                d
            }
        };
        self.next_run += 1;
        Ok((dir.path().join(format!("run-{}", self.next_run)), dir))
    }

    fn spill(&mut self) -> Result<(), SpillError> {
        if self.mem.is_empty() {
            return Ok(());
        }
        let mut entries: Vec<(K, u64)> = self.mem.drain().collect();
        self.mem_bytes = 0;
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (path, dir) = self.new_run_path()?;
        write_run(&path, entries.into_iter().map(Ok)).map_err(|e| self.err(e))?;
        self.runs.push(Run { path, _dir: dir });
        if self.runs.len() >= MAX_RUNS {
            self.compact()?;
        }
        Ok(())
    }

    /// Merges every run into one.
    fn compact(&mut self) -> Result<(), SpillError> {
        let runs = std::mem::take(&mut self.runs);
        let (path, dir) = self.new_run_path()?;
        let result = (|| -> io::Result<()> {
            let mut merger = Merger::<K>::new(&runs, Vec::new())?;
            let file = create_owner_only(&path)?;
            let mut out = BufWriter::new(file);
            while let Some((k, c)) = merger.next()? {
                write_entry(&mut out, &k, c)?;
            }
            out.flush()
        })();
        result.map_err(|e| self.err(e))?;
        self.runs.push(Run { path, _dir: dir });
        Ok(())
    }

    /// Calls `f` with every key and its total count, in key order, until `f` says stop.
    pub fn for_each_sorted(&self, mut f: impl FnMut(&K, u64) -> bool) -> Result<(), SpillError> {
        let mut mem: Vec<(&K, u64)> = self.mem.iter().map(|(k, c)| (k, *c)).collect();
        mem.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut merger = Merger::new(&self.runs, mem).map_err(|e| self.err(e))?;
        while let Some((k, c)) = merger.next().map_err(|e| self.err(e))? {
            if !f(&k, c) {
                break;
            }
        }
        Ok(())
    }
}

fn create_owner_only(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn write_entry<K: SpillKey>(out: &mut impl Write, k: &K, c: u64) -> io::Result<()> {
    let bytes = k.encode();
    let len = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "value longer than 4 GiB"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&bytes)?;
    out.write_all(&c.to_le_bytes())
}

fn write_run<K: SpillKey>(
    path: &Path,
    entries: impl Iterator<Item = io::Result<(K, u64)>>,
) -> io::Result<()> {
    let mut out = BufWriter::new(create_owner_only(path)?);
    for e in entries {
        let (k, c) = e?;
        write_entry(&mut out, &k, c)?;
    }
    out.flush()
}

struct RunReader {
    reader: BufReader<File>,
}

impl RunReader {
    fn next<K: SpillKey>(&mut self) -> io::Result<Option<(K, u64)>> {
        let mut len = [0u8; 4];
        match self.reader.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        self.reader.read_exact(&mut bytes)?;
        let mut count = [0u8; 8];
        self.reader.read_exact(&mut count)?;
        let key = K::decode(&bytes).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "a spill file holds an unreadable value",
            )
        })?;
        Ok(Some((key, u64::from_le_bytes(count))))
    }
}

/// K-way merge of sorted runs and one sorted in-memory list, adding equal keys.
struct Merger<'a, K: SpillKey> {
    readers: Vec<RunReader>,
    mem: std::vec::IntoIter<(&'a K, u64)>,
    heap: BinaryHeap<Reverse<(K, usize, u64)>>,
}

impl<'a, K: SpillKey> Merger<'a, K> {
    fn new(runs: &[Run], mem: Vec<(&'a K, u64)>) -> io::Result<Self> {
        let mut readers = Vec::with_capacity(runs.len());
        for run in runs {
            readers.push(RunReader {
                reader: BufReader::with_capacity(64 * 1024, File::open(&run.path)?),
            });
        }
        let mut m = Merger {
            readers,
            mem: mem.into_iter(),
            heap: BinaryHeap::new(),
        };
        for i in 0..=m.readers.len() {
            m.refill(i)?;
        }
        Ok(m)
    }

    /// Source `i` (a run, or the in-memory list as the last one) puts its next entry in.
    fn refill(&mut self, i: usize) -> io::Result<()> {
        let next = if i == self.readers.len() {
            self.mem.next().map(|(k, c)| (k.clone(), c))
        } else {
            self.readers[i].next::<K>()?
        };
        if let Some((k, c)) = next {
            self.heap.push(Reverse((k, i, c)));
        }
        Ok(())
    }

    fn next(&mut self) -> io::Result<Option<(K, u64)>> {
        let Some(Reverse((key, i, mut count))) = self.heap.pop() else {
            return Ok(None);
        };
        self.refill(i)?;
        while let Some(Reverse((k, _, _))) = self.heap.peek() {
            if *k != key {
                break;
            }
            if let Some(Reverse((_, j, c))) = self.heap.pop() {
                count = count.saturating_add(c);
                self.refill(j)?;
            }
        }
        Ok(Some((key, count)))
    }
}

/// Serialised as a list of `[key text, count]` in key order, streamed from the runs.
impl<K: SpillKey> Serialize for SpillCounter<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        let mut failure: Option<S::Error> = None;
        self.for_each_sorted(|k, c| match seq.serialize_element(&(k.to_text(), c)) {
            Ok(()) => true,
            Err(e) => {
                failure = Some(e);
                false
            }
        })
        .map_err(|e| serde::ser::Error::custom(format!("{}: {}", e.dir.display(), e.source)))?;
        if let Some(e) = failure {
            return Err(e);
        }
        seq.end()
    }
}

/// Read back with the default limits (spilling as it reads, so a large state file
/// stays within the budget); `DqState::set_limits` applies the run's own.
impl<'de, K: SpillKey> Deserialize<'de> for SpillCounter<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<K>(std::marker::PhantomData<K>);
        impl<'de, K: SpillKey> Visitor<'de> for V<K> {
            type Value = SpillCounter<K>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of [value, count] pairs")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let limits = super::DqLimits::default();
                let mut counter = SpillCounter::new(SpillConfig {
                    budget: limits.memory_budget / 2,
                    dir: limits.spill_dir(),
                });
                while let Some((text, count)) = seq.next_element::<(String, u64)>()? {
                    let key = K::from_text(&text).ok_or_else(|| {
                        serde::de::Error::custom(format!("unreadable value {text:?}"))
                    })?;
                    counter.add(key, count).map_err(|e| {
                        serde::de::Error::custom(format!("{}: {}", e.dir.display(), e.source))
                    })?;
                }
                Ok(counter)
            }
        }
        deserializer.deserialize_seq(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(budget: usize, dir: &Path) -> SpillCounter<Vec<u8>> {
        SpillCounter::new(SpillConfig {
            budget,
            dir: dir.to_path_buf(),
        })
    }

    fn totals(c: &SpillCounter<Vec<u8>>) -> Vec<(Vec<u8>, u64)> {
        let mut out = Vec::new();
        c.for_each_sorted(|k, n| {
            out.push((k.clone(), n));
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn spilled_counts_equal_in_memory_counts() {
        let tmp = tempfile::tempdir().unwrap();
        let mut small = counter(300, tmp.path());
        let mut big = counter(usize::MAX, tmp.path());
        for i in 0..2000u32 {
            let key = (i % 317).to_string().into_bytes();
            small.add(key.clone(), 1).unwrap();
            big.add(key, 1).unwrap();
        }
        assert!(small.spilled_runs() >= 1);
        assert!(small.spilled_runs() < MAX_RUNS);
        assert_eq!(big.spilled_runs(), 0);
        assert_eq!(totals(&small), totals(&big));
        assert_eq!(totals(&small).len(), 317);
    }

    #[cfg(unix)]
    #[test]
    fn spill_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let mut c = counter(10, tmp.path());
        c.add(b"secret value".to_vec(), 1).unwrap();
        let dir = c.dir.as_ref().unwrap().path().to_path_buf();
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        for f in std::fs::read_dir(&dir).unwrap() {
            let mode = f.unwrap().metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        drop(c);
        assert!(!dir.exists(), "the private directory goes with the counter");
    }

    #[test]
    fn an_unwritable_spill_dir_is_an_error_naming_it() {
        let mut c = counter(10, Path::new("/nonexistent/dynameta-spill"));
        let err = c.add(b"x".to_vec(), 1).unwrap_err();
        assert!(err.dir.ends_with("dynameta-spill"));
    }
}
