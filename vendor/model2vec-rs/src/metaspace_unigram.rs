//! The SentencePiece pipeline of the multilingual models (XLM-R's: NFKC, runs of spaces made
//! one, `Metaspace` with `▁` prepended and split on, Unigram), read straight from
//! `tokenizer.json` without building a `tokenizers::Tokenizer`.
//!
//! [`FastUnigram`] already replaces the crate's Unigram model, but still needs the crate's
//! `Tokenizer` for the steps before it: its normalizer and pre-tokenizer build a
//! `NormalizedString` with per-byte alignments for every text (most of an embedding's time),
//! and the `Tokenizer` keeps the model's 250k pieces as hash maps that nothing reads after
//! [`FastUnigram`] is built (~300 MiB resident for XLM-R's vocabulary). This module does the
//! same steps on plain strings and keeps only the trie. The IDs are identical to the crate's
//! (parity tests below, and in the crate that patches this in).
//!
//! What it reproduces, from `AddedVocabulary::extract_and_normalize`, `NFKC`, `Replace`,
//! `Metaspace::pre_tokenize` and `PreTokenizedString::split`: added tokens (all
//! `normalized: false`, no `lstrip`/`rstrip`/`single_word`) are found in the raw text,
//! leftmost-longest, and give their IDs; each span between them is NFKC-normalised, runs of
//! two or more spaces become one, spaces become `▁`, a `▁` is prepended unless the span
//! starts with one, and the span is cut before every `▁`; empty spans and pieces are dropped.
//! Any other pipeline returns `None` from [`MetaspaceUnigram::from_json`], and the caller
//! falls back to [`FastUnigram`] over the crate's pre-processing.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::fast_unigram::FastUnigram;
use crate::model::median_token_length;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Remembered pieces: ahash, because std's SipHash was a quarter of the instructions of
/// tokenizing an article (every piece is hashed, and most are found); keyed at random like
/// SipHash, since the pieces are words of the articles sent.
type PieceCache = HashMap<Box<str>, (u32, u32), ahash::RandomState>;

/// Pieces longer than this (in bytes) are not remembered: text without spaces (Chinese,
/// Japanese) makes long pieces that seldom come again.
const CACHED_PIECE_BYTES: usize = 32;
/// Pieces a thread remembers before it forgets them all and starts again.
const CACHED_PIECES: usize = 1 << 16;

/// A thread's buffers, and the IDs of the pieces it has tokenized: the words of a language
/// come again and again, and a lookup costs a fraction of the Viterbi search.
#[derive(Default)]
struct Scratch {
    /// [`MetaspaceUnigram::id`] of the tokenizer whose pieces are remembered.
    owner: u64,
    normalized: String,
    best: Vec<crate::fast_unigram::BestPath>,
    /// Piece → range of its IDs in `ids`.
    pieces: PieceCache,
    ids: Vec<u32>,
}

/// The parts of `tokenizer.json` that [`MetaspaceUnigram::from_json`] reads.
#[derive(Deserialize)]
struct TokenizerJson {
    #[serde(default)]
    added_tokens: Vec<AddedTokenJson>,
    normalizer: Option<Value>,
    pre_tokenizer: Option<Value>,
    model: ModelJson,
}

#[derive(Deserialize)]
struct AddedTokenJson {
    content: String,
    single_word: bool,
    lstrip: bool,
    rstrip: bool,
    normalized: bool,
}

#[derive(Deserialize)]
struct ModelJson {
    #[serde(rename = "type")]
    kind: Option<String>,
    unk_id: Option<usize>,
    #[serde(default)]
    byte_fallback: bool,
    #[serde(default)]
    vocab: Vec<(String, f64)>,
}

/// IDs-only tokenizer for the NFKC + Metaspace + Unigram pipeline.
#[derive(Debug, Clone)]
pub(crate) struct MetaspaceUnigram {
    /// Tells the threads' remembered pieces of two tokenizers apart (clones share it).
    id: u64,
    model: FastUnigram,
    nfkc: bool,
    /// `Replace` of the regex ` {2,}` by one space, after NFKC.
    collapse_spaces: bool,
    /// Added tokens, longest content first (so that the first match at a position is the
    /// longest), with their vocabulary IDs.
    added_tokens: Vec<(String, u32)>,
    added_token_first_bytes: [bool; 256],
}

impl MetaspaceUnigram {
    /// Read the pipeline from `tokenizer.json` bytes, with the vocabulary's median piece
    /// length in bytes, or `None` if it is not exactly the pipeline this module reproduces.
    pub(crate) fn from_json(bytes: &[u8]) -> Option<(MetaspaceUnigram, usize)> {
        let json: TokenizerJson = serde_json::from_slice(bytes).ok()?;
        let model = json.model;
        if model.kind.as_deref() != Some("Unigram") {
            return None;
        }
        let (nfkc, collapse_spaces) = normalizer(json.normalizer.as_ref())?;
        if !is_metaspace_always_split(json.pre_tokenizer.as_ref()?) {
            return None;
        }
        // Without an `unk_id` the crate fails on an unknown character.
        let unk_id = u32::try_from(model.unk_id?).ok()?;

        // A piece listed twice resolves to its last ID, as the crate's `token_to_ids` does.
        let mut ids: HashMap<&str, u32> = HashMap::with_capacity(model.vocab.len());
        for (id, (piece, _)) in model.vocab.iter().enumerate() {
            ids.insert(piece.as_str(), u32::try_from(id).ok()?);
        }
        let mut added_tokens = Vec::with_capacity(json.added_tokens.len());
        for t in json.added_tokens {
            if t.content.is_empty() || t.normalized || t.single_word || t.lstrip || t.rstrip {
                return None;
            }
            let id = *ids.get(t.content.as_str())?;
            added_tokens.push((t.content, id));
        }
        drop(ids);
        added_tokens.sort_by(|(a, _), (b, _)| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        added_tokens.dedup_by(|(a, _), (b, _)| a == b);
        let mut added_token_first_bytes = [false; 256];
        for (content, _) in &added_tokens {
            added_token_first_bytes[content.as_bytes()[0] as usize] = true;
        }

        let median = median_token_length(model.vocab.iter().map(|(piece, _)| piece.as_str()));
        let model = FastUnigram::from_pieces(&model.vocab, unk_id, model.byte_fallback)?;
        Some((
            MetaspaceUnigram {
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                model,
                nfkc,
                collapse_spaces,
                added_tokens,
                added_token_first_bytes,
            },
            median,
        ))
    }

    pub(crate) fn unk_id(&self) -> u32 {
        self.model.unk_id()
    }

    /// Append the token IDs of `text` to `out`, as `encode_fast(text, false).get_ids()`.
    pub(crate) fn encode_ids_into(&self, text: &str, out: &mut Vec<u32>) {
        SCRATCH.with_borrow_mut(|scratch| self.encode_ids_with(text, out, scratch));
    }

    fn encode_ids_with(&self, text: &str, out: &mut Vec<u32>, scratch: &mut Scratch) {
        if scratch.owner != self.id {
            scratch.owner = self.id;
            scratch.pieces.clear();
            scratch.ids.clear();
        }
        let bytes = text.as_bytes();
        let (mut start, mut i) = (0, 0);
        while i < text.len() {
            let hit = self.added_token_first_bytes[bytes[i] as usize]
                .then(|| {
                    self.added_tokens
                        .iter()
                        .find(|(content, _)| text[i..].starts_with(content.as_str()))
                })
                .flatten();
            match hit {
                Some((content, id)) => {
                    self.encode_span(&text[start..i], out, scratch);
                    out.push(*id);
                    i += content.len();
                    start = i;
                }
                None => i += text[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        self.encode_span(&text[start..], out, scratch);
    }

    /// Normalise, pre-tokenize and tokenize a span without added tokens.
    fn encode_span(&self, span: &str, out: &mut Vec<u32>, scratch: &mut Scratch) {
        let normalized = &mut scratch.normalized;
        normalized.clear();
        let mut previous_space = false;
        let mut push = |c: char| {
            if c == ' ' {
                if self.collapse_spaces && previous_space {
                    return;
                }
                previous_space = true;
                normalized.push('▁');
            } else {
                previous_space = false;
                normalized.push(c);
            }
        };
        // Most text is NFKC already, which a quick check tells; ASCII text always is, and
        // `is_ascii` reads it a word at a time where the check decodes every character.
        let quick = || unicode_normalization::is_nfkc_quick(span.chars());
        if self.nfkc && !span.is_ascii() && quick() != unicode_normalization::IsNormalized::Yes {
            span.nfkc().for_each(&mut push);
        } else {
            span.chars().for_each(&mut push);
        }
        if normalized.is_empty() {
            return;
        }
        if !normalized.starts_with('▁') {
            normalized.insert(0, '▁');
        }
        let Scratch {
            owner: _,
            normalized,
            best,
            pieces,
            ids,
        } = scratch;
        let mut piece_start = 0;
        for (at, _) in normalized.match_indices('▁').skip(1) {
            self.piece_ids(&normalized[piece_start..at], best, pieces, ids, out);
            piece_start = at;
        }
        self.piece_ids(&normalized[piece_start..], best, pieces, ids, out);
    }

    /// Append the IDs of one piece: remembered, or from the Viterbi search.
    fn piece_ids(
        &self,
        piece: &str,
        best: &mut Vec<crate::fast_unigram::BestPath>,
        pieces: &mut PieceCache,
        ids: &mut Vec<u32>,
        out: &mut Vec<u32>,
    ) {
        if piece.len() > CACHED_PIECE_BYTES {
            self.model.viterbi(piece, best, out);
            return;
        }
        if let Some(&(start, end)) = pieces.get(piece) {
            out.extend_from_slice(&ids[start as usize..end as usize]);
            return;
        }
        if pieces.len() >= CACHED_PIECES {
            pieces.clear();
            ids.clear();
        }
        let start = ids.len();
        self.model.viterbi(piece, best, ids);
        out.extend_from_slice(&ids[start..]);
        pieces.insert(piece.into(), (start as u32, ids.len() as u32));
    }
}

/// `(nfkc, collapse_spaces)` for a normalizer this module reproduces: none, `NFKC`, the
/// `Replace` of ` {2,}` by a space, or a `Sequence` of NFKC then that `Replace`.
fn normalizer(json: Option<&Value>) -> Option<(bool, bool)> {
    let Some(json) = json.filter(|j| !j.is_null()) else {
        return Some((false, false));
    };
    let is_nfkc = |j: &Value| j.get("type")?.as_str().map(|t| t == "NFKC");
    let is_collapse = |j: &Value| {
        Some(
            j.get("type")?.as_str()? == "Replace"
                && j.get("pattern")?.get("Regex")?.as_str()? == " {2,}"
                && j.get("content")?.as_str()? == " ",
        )
    };
    match json.get("type")?.as_str()? {
        "NFKC" => Some((true, false)),
        "Replace" => is_collapse(json)?.then_some((false, true)),
        "Sequence" => match json.get("normalizers")?.as_array()?.as_slice() {
            [] => Some((false, false)),
            [one] => normalizer(Some(one)),
            [first, second] => (is_nfkc(first)? && is_collapse(second)?).then_some((true, true)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the pre-tokenizer is `Metaspace` with `▁`, `prepend_scheme: always` and
/// `split: true`.
fn is_metaspace_always_split(json: &Value) -> bool {
    json.get("type").and_then(Value::as_str) == Some("Metaspace")
        && json.get("replacement").and_then(Value::as_str) == Some("▁")
        && json.get("prepend_scheme").and_then(Value::as_str) == Some("always")
        && json.get("split").and_then(Value::as_bool) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenizers::Tokenizer;

    /// The XLM-R pipeline over a small vocabulary, as JSON.
    fn tokenizer_json(normalizer: &str) -> String {
        let pieces = [
            "<s>", "<pad>", "</s>", "<unk>", "▁", "▁the", "▁cat", "▁ca", "t", "s", "▁sat", "▁on", "a", "e",
            "h", "c", "o", "n", "▁mat", "▁日本", "日", "本", "語", "▁é", "é", ",", ".", "▁<", "s", ">",
        ];
        let vocab: Vec<String> = pieces
            .iter()
            .enumerate()
            .map(|(i, p)| format!("[{}, {}]", serde_json::to_string(p).unwrap(), -(i as f64) / 3.0 - 1.0))
            .collect();
        let added: Vec<String> = ["<s>", "<pad>", "</s>", "<unk>"]
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    r#"{{"id": {i}, "content": "{c}", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}}"#
                )
            })
            .collect();
        format!(
            r#"{{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [{}],
            "normalizer": {normalizer},
            "pre_tokenizer": {{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}},
            "post_processor": null, "decoder": null,
            "model": {{"type": "Unigram", "unk_id": 3, "byte_fallback": false, "vocab": [{}]}}}}"#,
            added.join(", "),
            vocab.join(", ")
        )
    }

    #[test]
    fn matches_the_crate() {
        let texts = [
            "the cat sat on the mat",
            "  the  cat   sat ",
            "the cat ",
            " the",
            "   ",
            "a \t b  ",
            "thecat",
            "<s>the cat</s><pad>",
            "a<s>b",
            "<s>",
            "",
            " ",
            "日本語 の cat",
            "ｔｈｅ ｃａｔ", // full-width: NFKC makes ASCII
            "e\u{301}té",      // decomposed é
            "the\u{a0}cat",    // NFKC makes the no-break space a space
            "x\ny\tz",
            "▁the▁cat",
            "the  \u{3000} cat",
        ];
        for normalizer in [
            r#"{"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}"#,
            r#"{"type": "NFKC"}"#,
            "null",
        ] {
            let json = tokenizer_json(normalizer);
            let tok = Tokenizer::from_bytes(json.as_bytes()).unwrap();
            let (fast, _) = MetaspaceUnigram::from_json(json.as_bytes()).expect("pipeline recognised");
            for &text in texts.iter().chain(&texts) {
                let want = tok.encode_fast(text, false).unwrap().get_ids().to_vec();
                let mut got = Vec::new();
                fast.encode_ids_into(text, &mut got);
                assert_eq!(got, want, "{text:?} with normalizer {normalizer}");
            }
        }
    }

    /// A thread's remembered pieces belong to one tokenizer: another vocabulary on the same
    /// thread tokenizes the same piece its own way.
    #[test]
    fn two_vocabularies_on_one_thread() {
        let a = tokenizer_json("null");
        let b = a.replace(r#""▁cat""#, r#""▁dog""#);
        let (fast_a, _) = MetaspaceUnigram::from_json(a.as_bytes()).unwrap();
        let (fast_b, _) = MetaspaceUnigram::from_json(b.as_bytes()).unwrap();
        let (tok_a, tok_b) = (
            Tokenizer::from_bytes(a.as_bytes()).unwrap(),
            Tokenizer::from_bytes(b.as_bytes()).unwrap(),
        );
        for (fast, tok) in [(&fast_a, &tok_a), (&fast_b, &tok_b), (&fast_a, &tok_a), (&fast_b, &tok_b)] {
            let mut got = Vec::new();
            fast.encode_ids_into("the cat", &mut got);
            assert_eq!(got, tok.encode_fast("the cat", false).unwrap().get_ids());
        }
        let (mut ids_a, mut ids_b) = (Vec::new(), Vec::new());
        fast_a.encode_ids_into("cat", &mut ids_a);
        fast_b.encode_ids_into("cat", &mut ids_b);
        assert_ne!(ids_a, ids_b);
    }

    #[test]
    fn other_pipelines_are_not_taken() {
        let lowercase = tokenizer_json(r#"{"type": "Lowercase"}"#);
        assert!(MetaspaceUnigram::from_json(lowercase.as_bytes()).is_none());
        let first = tokenizer_json("null").replace(r#""prepend_scheme": "always""#, r#""prepend_scheme": "first""#);
        assert!(MetaspaceUnigram::from_json(first.as_bytes()).is_none());
    }
}
