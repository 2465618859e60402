//! The `after` cursor of deep paging: an opaque token for the position of a page's last hit in
//! the result order (tier, sort key descending, article id ascending), so the next page is
//! "everything strictly after it" however deep it is.
//!
//! Wire form: lowercase hex of `[version, sort, tier, key as f64 bits (8 bytes, big-endian),
//! id bytes…]`. Opaque to clients; validated strictly so that a damaged cursor is a 400.

use super::Sort;
use crate::Error;

const VERSION: u8 = 1;
/// Longest cursor accepted, in characters.
const MAX_CHARS: usize = 2 * (11 + 1024);

/// A decoded cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The effective sort of the search it came from.
    pub sort: Sort,
    /// The tier (0 exact matches, 1 typo matches) of the last hit.
    pub tier: usize,
    /// The last hit's sort key.
    pub key: f64,
    /// The last hit's article id.
    pub id: String,
}

impl Cursor {
    /// The wire form.
    pub fn encode(&self) -> String {
        let mut bytes = vec![
            VERSION,
            sort_byte(self.sort),
            u8::try_from(self.tier).unwrap_or(u8::MAX),
        ];
        bytes.extend_from_slice(&self.key.to_bits().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses the wire form; errors name the `after` parameter.
    pub fn decode(s: &str) -> crate::Result<Cursor> {
        let bad = |why: &str| Error::param("after", format!("not a valid cursor: {why}"));
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if s.len() > MAX_CHARS {
            return Err(bad("too long"));
        }
        if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("expected the `next` value of a previous response"));
        }
        let bytes: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect();
        if bytes.len() < 11 || bytes[0] != VERSION {
            return Err(bad("expected the `next` value of a previous response"));
        }
        let sort = match bytes[1] {
            0 => Sort::Relevance,
            1 => Sort::Newest,
            2 => Sort::Oldest,
            _ => return Err(bad("unknown sort")),
        };
        let mut key = [0u8; 8];
        key.copy_from_slice(&bytes[3..11]);
        let key = f64::from_bits(u64::from_be_bytes(key));
        if key.is_nan() {
            return Err(bad("bad sort key"));
        }
        let id = String::from_utf8(bytes[11..].to_vec()).map_err(|_| bad("bad id"))?;
        Ok(Cursor {
            sort,
            tier: usize::from(bytes[2]),
            key,
            id,
        })
    }
}

fn sort_byte(sort: Sort) -> u8 {
    match sort {
        Sort::Relevance => 0,
        Sort::Newest => 1,
        Sort::Oldest => 2,
    }
}

/// The name of a sort, for messages.
pub fn sort_name(sort: Sort) -> &'static str {
    match sort {
        Sort::Relevance => "relevance",
        Sort::Newest => "newest",
        Sort::Oldest => "oldest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let c = Cursor {
            sort: Sort::Newest,
            tier: 1,
            key: 1.7e9,
            id: "a/ü 1".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "xyz", "0", "00", &"ab".repeat(20), &"0".repeat(5000)] {
            let e = Cursor::decode(bad).unwrap_err().to_string();
            assert!(e.starts_with("parameter `after`"), "{bad}: {e}");
        }
    }
}
