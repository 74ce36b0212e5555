//! Hashing shared by the profiler and the classifier: one deterministic 64-bit byte hash
//! ([`hash_bytes`], pinned across platforms and releases because saved profile states
//! hold its values) and a fast [`StrHasher`] for maps keyed by short strings. Both are
//! hand-written: the pinned output is part of the profile state format (a crate's
//! hasher may change between its releases), and the string hasher reuses it.
//!
//! It lives in the profiler's core crate (`dynameta_profiler::hash`) because the saved
//! profile states hold its values; the classifier (`dynameta::processors::classifier`)
//! and the data-quality spill use it from here, through `dynameta::processors::hash`.

const PRIME1: u64 = 0x9E37_79B1_85EB_CA87;
const PRIME2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const PRIME4: u64 = 0x85EB_CA77_C2B2_AE63;
const PRIME5: u64 = 0x27D4_EB2F_1656_67C5;

/// One xxHash64-style lane round: bijective in `lane`.
fn round(lane: u64) -> u64 {
    lane.wrapping_mul(PRIME2)
        .rotate_left(31)
        .wrapping_mul(PRIME1)
}

/// Mixes one 8-byte lane into the running hash.
fn absorb(h: u64, lane: u64) -> u64 {
    (h ^ round(lane))
        .rotate_left(27)
        .wrapping_mul(PRIME1)
        .wrapping_add(PRIME4)
}

/// MurmurHash3's 64-bit finalizer: a bijection with full avalanche.
pub(crate) fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// A 64-bit non-cryptographic hash of `bytes` for [`Hll::add_hash`]: xxHash64-style
/// rounds over little-endian 8-byte chunks (a short tail read as one overlapping lane), seeded
/// with the length, then a MurmurHash3 finalizer. Deterministic on every platform
/// and run; not resistant to deliberately colliding input.
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let mut h = PRIME5.wrapping_add(len as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        h = absorb(h, lane8(chunk));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        // Fixed-size loads only (no byte-by-byte copy): the last lane overlaps the one
        // before it, and short inputs read overlapping halves. With the length in the
        // seed, every input still maps to a distinct sequence of lanes.
        let lane = match len {
            8.. => lane8(&bytes[len - 8..]),
            4..=7 => u64::from(lane4(&tail[..4])) | (u64::from(lane4(&tail[len - 4..])) << 32),
            _ => {
                u64::from(tail[0])
                    | (u64::from(tail[len / 2]) << 8)
                    | (u64::from(tail[len - 1]) << 16)
            }
        };
        h = absorb(h, lane);
    }
    fmix64(h)
}

fn lane8(bytes: &[u8]) -> u64 {
    let mut lane = [0u8; 8];
    lane.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(lane)
}

fn lane4(bytes: &[u8]) -> u32 {
    let mut lane = [0u8; 4];
    lane.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(lane)
}

/// A fast hasher for short strings (attribute names, top values), built on [`hash_bytes`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StrHasher(u64);

impl std::hash::Hasher for StrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = self.0.rotate_left(5) ^ hash_bytes(bytes);
    }
    // `str` ends its hash with a 0xff byte and `Vec` starts with its length: mix those
    // in cheaply instead of hashing them as byte slices.
    fn write_u8(&mut self, i: u8) {
        self.0 = self.0.rotate_left(5) ^ u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_usize(&mut self, i: usize) {
        self.0 = self.0.rotate_left(5) ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}
