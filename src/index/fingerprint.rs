//! What ingest derives from an article's words, in one pass over them: the copy key (wire
//! copies share it), the SimHash kept for near-duplicates, and the distinct words for the
//! `words` field.
//!
//! The SimHash is kept in the `simhash` fast column, so that related articles compare a
//! candidate with the source and with the hits before it without hashing its text again; a
//! draft's comes from the same [`signals`] at query time. One pass because all three run on the
//! ingest path and split and lowercase the same words.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::analysis::tokenizer::{alphanumeric_runs, lowercased};

/// What [`signals`] derives from title, summary and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSignals {
    /// FNV-1a of the lowercased words of title and body, each followed by a space: wire
    /// copies of one story (same words, other spacing, case or punctuation) share it.
    pub copy_key: u64,
    /// Charikar's SimHash over the counts of the lowercased words of all three: texts that
    /// share most words differ in few bits. 0 for no words.
    pub simhash: u64,
    /// Each word once (its first spelling), space-separated, for the `words` field: that field
    /// only records which articles have a word (no frequencies, positions or norms), so one
    /// occurrence gives the same postings, and tantivy's indexing threads (the bottleneck of a
    /// bulk load) analyze a fraction of the body a second time instead of all of it.
    pub distinct_words: String,
}

/// The signals of an article's text. Words are split where the index's tokenizer
/// (`SimpleTokenizer`) splits, so each piece is one token of the `words` field.
pub fn signals(title: &str, summary: Option<&str>, body: Option<&str>) -> TextSignals {
    let mut copy_key: u64 = FNV_OFFSET;
    let mut seen: HashSet<u64, BuildHasherDefault<Prehashed>> =
        HashSet::with_capacity_and_hasher(256, BuildHasherDefault::default());
    let mut distinct_words = String::new();
    let mut counter = BitCounter::default();
    let mut lower = String::new();
    for (text, in_copy_key) in [(Some(title), true), (summary, false), (body, true)] {
        for word in text.iter().flat_map(|t| alphanumeric_runs(t)) {
            let folded = lowercased(word, &mut lower);
            let cjk = !word.is_ascii() && word.chars().any(crate::analysis::tokenizer::is_cjk);
            if in_copy_key && cjk {
                copy_key = cjk_copy_key(folded, copy_key);
            } else if in_copy_key {
                copy_key = folded
                    .as_bytes()
                    .iter()
                    .chain(b" ")
                    .fold(copy_key, fnv_byte);
            }
            let h = mix(folded.as_bytes().iter().fold(FNV_OFFSET, fnv_byte));
            if cjk {
                // A run of Chinese or Japanese is a whole sentence, not a word: its character
                // pairs are what near-duplicates share.
                add_pairs(folded, &mut counter);
            } else {
                counter.add(h);
            }
            // Keyed by the lowercased word's hash: spellings that differ only in case meet in
            // the index anyway.
            if seen.insert(h) {
                if !distinct_words.is_empty() {
                    distinct_words.push(' ');
                }
                distinct_words.push_str(word);
            }
        }
    }
    TextSignals {
        copy_key,
        simhash: counter.simhash(),
        distinct_words,
    }
}

/// Folds a word with Chinese, Japanese or Korean characters into the copy key one CJK
/// character at a time (other runs whole, `G20`), so that a copy with a space between two
/// words of a sentence written without spaces (`中国外交部 回应`) keeps the key.
fn cjk_copy_key(word: &str, mut key: u64) -> u64 {
    let mut run_start: Option<usize> = None;
    let flush = |key: u64, run: &str| run.bytes().chain(*b" ").fold(key, |h, b| fnv_byte(h, &b));
    for (i, c) in word.char_indices() {
        if crate::analysis::tokenizer::is_cjk(c) {
            if let Some(start) = run_start.take() {
                key = flush(key, &word[start..i]);
            }
            key = flush(key, &word[i..i + c.len_utf8()]);
        } else if run_start.is_none() {
            run_start = Some(i);
        }
    }
    if let Some(start) = run_start {
        key = flush(key, &word[start..]);
    }
    key
}

/// Words of the body that make its lead, for [`take_key`]: a wire story's first paragraph.
const LEAD_WORDS: usize = 30;

/// The headline and lead of a story: its lowercased words of the title and the first
/// [`LEAD_WORDS`] words of the body (CJK characters one at a time). Takes of one story (a
/// short and a long version, an update with paragraphs added at the end) share it where
/// their copy keys differ.
pub fn take_key(title: &str, body: Option<&str>) -> u64 {
    let mut key = FNV_OFFSET;
    let mut lower = String::new();
    let mut add = |word: &str, key: &mut u64| {
        *key = cjk_copy_key(lowercased(word, &mut lower), *key);
    };
    for w in alphanumeric_runs(title) {
        add(w, &mut key);
    }
    key = fnv_byte(key, &b'|');
    let mut lead = 0;
    for w in alphanumeric_runs(body.unwrap_or("")) {
        // A run of CJK characters is a sentence, not a word: count its characters.
        lead += w
            .chars()
            .filter(|&c| crate::analysis::tokenizer::is_cjk(c))
            .count()
            .max(1);
        add(w, &mut key);
        if lead >= LEAD_WORDS {
            break;
        }
    }
    key
}

/// Adds the hash of each pair of adjacent characters of `run` (a lone character alone).
fn add_pairs(run: &str, counter: &mut BitCounter) {
    let mut chars = run.char_indices().peekable();
    if run.chars().nth(1).is_none() {
        counter.add(mix(run.as_bytes().iter().fold(FNV_OFFSET, fnv_byte)));
        return;
    }
    while let Some((i, _)) = chars.next() {
        let Some(&(j, c)) = chars.peek() else { break };
        let pair = &run.as_bytes()[i..j + c.len_utf8()];
        counter.add(mix(pair.iter().fold(FNV_OFFSET, fnv_byte)));
    }
}

/// Counts, per bit, the word hashes that have it set. Each occurrence adds ±1 per bit, which
/// sums to the count-weighted SimHash without grouping the words first; the set bits are
/// counted eight at a time, each byte of a hash spreading into eight one-byte counters.
struct BitCounter {
    ones: [u32; 64],
    lanes: [u64; 8],
    pending: u32,
    total: u32,
}

impl Default for BitCounter {
    fn default() -> Self {
        BitCounter {
            ones: [0; 64],
            lanes: [0; 8],
            pending: 0,
            total: 0,
        }
    }
}

impl BitCounter {
    fn add(&mut self, h: u64) {
        for (lane, byte) in self.lanes.iter_mut().zip(h.to_le_bytes()) {
            *lane += SPREAD[usize::from(byte)];
        }
        self.pending += 1;
        self.total += 1;
        if self.pending == 255 {
            self.drain();
        }
    }

    /// Adds the one-byte counters (at most 255 each) to `ones` and clears them.
    fn drain(&mut self) {
        for (byte, lane) in self.lanes.iter_mut().enumerate() {
            for (k, count) in lane.to_le_bytes().into_iter().enumerate() {
                self.ones[8 * byte + k] += u32::from(count);
            }
            *lane = 0;
        }
        self.pending = 0;
    }

    fn simhash(mut self) -> u64 {
        self.drain();
        (0..64)
            .filter(|&bit| 2 * self.ones[bit] > self.total)
            .fold(0u64, |acc, bit| acc | 1 << bit)
    }
}

/// A `Hasher` for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than drop it.
        self.0 = bytes.iter().fold(self.0, fnv_byte);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv_byte(h: u64, b: &u8) -> u64 {
    (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
}

/// Byte `b` of a hash as eight one-byte counters: counter `k` is bit `k` of `b`.
const SPREAD: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        while k < 8 {
            if b >> k & 1 == 1 {
                table[b] |= 1 << (8 * k);
            }
            k += 1;
        }
        b += 1;
    }
    table
};

/// splitmix64's finalizer: FNV's high bits are too similar across similar words for SimHash.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simhash(title: &str, summary: Option<&str>, body: Option<&str>) -> u64 {
        signals(title, summary, body).simhash
    }

    #[test]
    fn simhash_is_close_for_near_copies_and_far_otherwise() {
        let a = "The central bank raised its key interest rate by half a point on Tuesday, citing inflation that has stayed above target for a year, and said more rises may follow.";
        let b = "The central bank raised its key interest rate by half a point on Tuesday, citing inflation that has stayed above target for a year, and said further rises may follow.";
        let c = "Heavy rains flooded the cocoa growing region in the south, traders said, and exporters expect arrivals to fall sharply in the coming weeks.";
        let (ha, hb, hc) = (
            simhash(a, None, None),
            simhash(b, None, None),
            simhash(c, None, None),
        );
        assert!((ha ^ hb).count_ones() <= 6, "{}", (ha ^ hb).count_ones());
        assert!((ha ^ hc).count_ones() > 10, "{}", (ha ^ hc).count_ones());
        // Case and punctuation do not count; split texts hash like the whole.
        assert_eq!(simhash(&a.to_uppercase(), None, None), ha);
        assert_eq!(simhash(&a[..40], None, Some(&a[40..])), ha);
        assert_eq!(simhash(&a[..40], Some(&a[40..]), None), ha);
        assert_eq!(simhash("", Some(" ,; "), None), 0);
    }

    /// The textbook definition, bit by bit.
    fn reference(text: &str) -> u64 {
        let mut v = [0i64; 64];
        for word in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let h = mix(word
                .to_lowercase()
                .bytes()
                .fold(FNV_OFFSET, |h, b| fnv_byte(h, &b)));
            for (bit, slot) in v.iter_mut().enumerate() {
                *slot += if h >> bit & 1 == 1 { 1 } else { -1 };
            }
        }
        (0..64).filter(|&b| v[b] > 0).fold(0, |acc, b| acc | 1 << b)
    }

    #[test]
    fn one_pass_gives_what_each_signal_would_alone() {
        let (title, summary, body) = (
            "OPEC Ministers Meet",
            Some("Prices, output; quotas"),
            Some("Ministers of OPEC met in Vienna. Ministers said quotas hold, prices firm."),
        );
        let s = signals(title, summary, body);
        let all = [Some(title), summary, body].map(Option::unwrap).join(" ");
        assert_eq!(s.simhash, reference(&all));
        // The copy key: lowercased words of title and body (not summary), each then a space.
        let text = "opec ministers meet ministers of opec met in vienna ministers said quotas hold prices firm ";
        assert_eq!(
            s.copy_key,
            text.bytes().fold(FNV_OFFSET, |h, b| fnv_byte(h, &b))
        );
        assert_eq!(
            s.copy_key,
            signals("opec  ministers meet!", Some("other"), body).copy_key
        );
        assert_eq!(
            s.distinct_words,
            "OPEC Ministers Meet Prices output quotas of met in Vienna said hold firm"
        );
    }

    #[test]
    fn counting_eight_bits_at_a_time_is_the_textbook_simhash() {
        let long = "Cocoa arrivals rose; Bahia's crop outlook improved. ".repeat(40);
        for text in ["tariff", "Steel TARIFFS and steel quotas", long.as_str()] {
            assert_eq!(simhash(text, None, None), reference(text), "{text}");
        }
    }
}
