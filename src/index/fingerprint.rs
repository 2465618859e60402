//! The near-duplicate fingerprint kept with every article: a 64-bit SimHash of its words.
//!
//! Computed once at ingest into the `simhash` fast column, so that related articles compare a
//! candidate with the source and with the hits before it without hashing its text again; a
//! draft's is computed the same way at query time.

use std::collections::HashMap;

/// Charikar's SimHash over the word counts of `texts` (words lowercased, split where the
/// index's tokenizer splits): texts that share most words differ in few bits. 0 for no words.
pub fn simhash(texts: &[Option<&str>]) -> u64 {
    let mut counts: HashMap<u64, i32> = HashMap::new();
    let mut lower = String::new();
    for text in texts.iter().flatten() {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            let key = if word
                .bytes()
                .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
            {
                lower.clear();
                lower.extend(word.chars().flat_map(char::to_lowercase));
                mix(fnv(lower.as_bytes()))
            } else {
                mix(fnv(word.as_bytes()))
            };
            *counts.entry(key).or_default() += 1;
        }
    }
    let mut v = [0i32; 64];
    for (h, c) in counts {
        for (bit, slot) in v.iter_mut().enumerate() {
            if h >> bit & 1 == 1 {
                *slot += c;
            } else {
                *slot -= c;
            }
        }
    }
    v.iter()
        .enumerate()
        .filter(|(_, s)| **s > 0)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// splitmix64's finalizer: FNV's high bits are too similar across similar words for SimHash.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simhash_is_close_for_near_copies_and_far_otherwise() {
        let a = "The central bank raised its key interest rate by half a point on Tuesday, citing inflation that has stayed above target for a year, and said more rises may follow.";
        let b = "The central bank raised its key interest rate by half a point on Tuesday, citing inflation that has stayed above target for a year, and said further rises may follow.";
        let c = "Heavy rains flooded the cocoa growing region in the south, traders said, and exporters expect arrivals to fall sharply in the coming weeks.";
        let (ha, hb, hc) = (
            simhash(&[Some(a)]),
            simhash(&[Some(b)]),
            simhash(&[Some(c)]),
        );
        assert!((ha ^ hb).count_ones() <= 6, "{}", (ha ^ hb).count_ones());
        assert!((ha ^ hc).count_ones() > 10, "{}", (ha ^ hc).count_ones());
        // Case and punctuation do not count; split texts hash like the whole.
        assert_eq!(simhash(&[Some(&a.to_uppercase())]), ha);
        assert_eq!(simhash(&[Some(&a[..40]), None, Some(&a[40..])]), ha);
        assert_eq!(simhash(&[None, Some(" ,; ")]), 0);
    }
}
