//! Text → vector with the multilingual static embedding model shipped inside the binary
//! (issue #19): `models/related-me5-static-16k`, distilled from multilingual-e5-small
//! (`models/related-me5-static-16k/PROVENANCE.md` says how; `scripts/models/` rebuilds it).
//!
//! A static model has one vector per token: a text's vector is the weighted mean of its
//! tokens' rows, L2-normalised. No network, no files beside the binary, no transformer at run
//! time: ~74k articles a second on one core (`benches/embed.rs`). Texts in different languages about the
//! same event land close together (French and German, English and its translations), which is
//! what "related articles" across languages needs; the quality is well below the teacher's, so
//! the vectors are for finding candidates, not for fine ranking.
//!
//! [`Embedder::shipped`] loads the model once per process (~0.5 s); [`article_input`] builds the
//! text an article is embedded from.
//!
//! Memory: the loaded model holds ~35 MiB live (~110 MiB resident before the allocator gives
//! freed pages back): the trie of XLM-R's 250k pieces and the 7 MB table. The vendored
//! model2vec-rs tokenizes without the `tokenizers` crate's Unigram model, which held ~300 MiB
//! (`vendor/README.md`). A process that never calls [`Embedder::shipped`] pays nothing.

use std::io::Read;
use std::sync::OnceLock;

use model2vec_rs::model::StaticModel;

use crate::{Error, Result};

pub mod cells;

/// The shipped model's name (its directory under `models/`): indexes record it, and one built
/// with another model is rebuilt at start (its vectors would not compare with this one's).
pub const MODEL_NAME: &str = "related-me5-static-16k";

/// What the index's vectors are: the model, and the language means taken from them
/// ([`article_vector`]). Indexes record it, and one built with other vectors is rebuilt.
pub const VECTORS: &str = "related-me5-static-16k, language means 1, cells 1";

/// Mean vector of the model over ordinary text of each of several languages, made by
/// `examples/language_means.rs` (English news, and the UD treebanks of `data/ud`).
const SHIPPED_MEANS: &[u8] =
    include_bytes!("../../models/related-me5-static-16k/language-means.json");

/// The shipped language means by language code, and their mean for every other language.
struct LanguageMeans {
    by_code: std::collections::HashMap<String, Vec<f32>>,
    other: Vec<f32>,
}

fn language_means() -> Result<&'static LanguageMeans> {
    static MEANS: OnceLock<std::result::Result<LanguageMeans, String>> = OnceLock::new();
    MEANS
        .get_or_init(|| {
            #[derive(serde::Deserialize)]
            struct File {
                means: std::collections::HashMap<String, Vec<f32>>,
            }
            let file: File = serde_json::from_slice(SHIPPED_MEANS)
                .map_err(|e| format!("the shipped language-means.json: {e}"))?;
            let n = file.means.len().max(1) as f32;
            let dims = file.means.values().map(Vec::len).max().unwrap_or(0);
            let mut other = vec![0.0; dims];
            for m in file.means.values() {
                other.iter_mut().zip(m).for_each(|(o, x)| *o += x / n);
            }
            Ok(LanguageMeans {
                by_code: file.means,
                other,
            })
        })
        .as_ref()
        .map_err(|e| Error::Internal(format!("embedding model: {e}")))
}

/// The shipped model's files, embedded at compile time (~10 MB in the binary). The tokenizer
/// is stored gzipped (3.4 MB instead of 9.3 MB) and inflated at load.
const SHIPPED_TOKENIZER_GZ: &[u8] =
    include_bytes!("../../models/related-me5-static-16k/tokenizer.json.gz");
const SHIPPED_MODEL: &[u8] =
    include_bytes!("../../models/related-me5-static-16k/model.safetensors");
const SHIPPED_CONFIG: &[u8] = include_bytes!("../../models/related-me5-static-16k/config.json");

/// Loads what making an article's vector takes (the model, the language means, the cells),
/// once per process; later calls return at once. `newsindex serve` calls it before it
/// listens, so that no request waits for it (the model alone takes 0.3-0.9 s, see
/// [`Embedder::shipped`]).
pub fn load() -> Result<()> {
    Embedder::shipped()?;
    language_means()?;
    cells::Cells::shipped()?;
    Ok(())
}

/// A static embedding model: text → L2-normalised vector of [`Embedder::dims`] floats.
///
/// Cheap to share between threads (`&'static` from [`Embedder::shipped`]); every method is
/// `&self` and runs on the caller's thread.
#[derive(Debug)]
pub struct Embedder {
    model: StaticModel,
}

impl Embedder {
    /// The model shipped in the binary, loaded on the first call (0.3-0.9 s in a
    /// release build: inflating and parsing the tokenizer's 250k pieces, building their trie) and shared afterwards; concurrent first
    /// callers wait for the one load. A load that failed fails every call the
    /// same way (the files are compiled in, so it fails everywhere or nowhere).
    pub fn shipped() -> Result<&'static Embedder> {
        static SHIPPED: OnceLock<std::result::Result<Embedder, String>> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                let mut tokenizer = Vec::with_capacity(10 << 20);
                flate2::read::GzDecoder::new(SHIPPED_TOKENIZER_GZ)
                    .read_to_end(&mut tokenizer)
                    .map_err(|e| format!("the shipped tokenizer.json.gz: {e}"))?;
                Embedder::from_bytes(&tokenizer, SHIPPED_MODEL, SHIPPED_CONFIG)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::Internal(format!("embedding model: {e}")))
    }

    /// A model in model2vec's layout from its three files' bytes: `tokenizer.json` (plain
    /// JSON), `model.safetensors` (`embeddings`, and optionally `weights` and `mapping`) and
    /// `config.json`. Output vectors are always L2-normalised, whatever the config says.
    pub fn from_bytes(tokenizer_json: &[u8], model: &[u8], config: &[u8]) -> Result<Embedder> {
        let model = StaticModel::from_bytes(tokenizer_json, model, config, Some(true))
            .map_err(|e| Error::Internal(format!("cannot load the embedding model: {e:#}")))?;
        Ok(Embedder { model })
    }

    /// Length of every vector this model returns.
    pub fn dims(&self) -> usize {
        self.model.dim()
    }

    /// The L2-normalised vector of `text`. Only its first 512 tokens count (model2vec-rs also
    /// cuts the text at 512 × the vocabulary's median token length in characters before
    /// tokenizing: 4,608 characters here). Blank text, or text without any known token, gives the zero
    /// vector, whose [`cosine`] with anything is 0.
    pub fn embed(&self, text: &str) -> Vec<f32> {
        // Blank text would still give the vector of the word-start token `▁`.
        if text.trim().is_empty() {
            return vec![0.0; self.dims()];
        }
        let mut v = self.model.encode_single(text);
        debug_assert_eq!(v.len(), self.dims());
        // A guard, not a case seen: a non-finite row (there is none in the shipped model) gives
        // the zero vector rather than NaNs in every cosine.
        if v.iter().any(|x| !x.is_finite()) {
            v.iter_mut().for_each(|x| *x = 0.0);
        }
        v
    }

    /// The model's token IDs for `text`, as [`Embedder::embed`] averages their rows (before it
    /// keeps the first 512); the unknown piece's ID included.
    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        self.model.token_ids(text)
    }

    /// [`Embedder::embed`] of each text, in order, on the caller's thread (the caller decides
    /// how to spread a large batch over threads).
    pub fn embed_batch(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts.iter().map(|t| self.embed(t)).collect()
    }
}

/// Cosine similarity of two vectors of the same length, in [-1, 1]; 0 when either is the
/// zero vector. For the [`Embedder`]'s (normalised) vectors it is their dot product.
///
/// # Panics
/// If the lengths differ (vectors of two different models).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "cosine of vectors of different lengths");
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (&x, &y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())).clamp(-1.0, 1.0)
}

/// A vector as the index keeps it: one signed byte per dimension, scaled so that the largest
/// component is ±127. Cosines survive this (the scale cancels out; the rounding moves a cosine
/// by about 0.002) at a quarter of the floats' size. The zero vector stays all zeros.
pub fn quantize(v: &[f32]) -> Vec<u8> {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return vec![0; v.len()];
    }
    let scale = 127.0 / max;
    v.iter()
        .map(|x| (x * scale).round().clamp(-127.0, 127.0) as i8 as u8)
        .collect()
}

/// [`cosine`] of two [`quantize`]d vectors; 0 when either is zero or their lengths differ (a
/// vector of another model, or none: a stored article may predate the vectors).
pub fn cosine_quantized(a: &[u8], b: &[u8]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0i32, 0i32, 0i32);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (i32::from(x as i8), i32::from(y as i8));
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0 || nb == 0 {
        return 0.0;
    }
    (dot as f32 / ((na as f32).sqrt() * (nb as f32).sqrt())).clamp(-1.0, 1.0)
}

/// The dot product of a stored vector (signed bytes) with `source`, and the vector's squared
/// length. Integer sums, so the same whatever the instructions: where the CPU has AVX2, sixteen
/// values at a time (bytes widened to i16, products summed in pairs into i32: no overflow,
/// as |x·s| ≤ 127 · 32767), several times faster over a cell or a whole index.
pub fn dot_and_norm(vector: &[u8], source: &[i16]) -> (i32, i32) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, the only feature the copy is compiled for.
            return unsafe { dot_and_norm_avx2(vector, source) };
        }
    }
    dot_and_norm_portable(vector, source)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_and_norm_avx2(vector: &[u8], source: &[i16]) -> (i32, i32) {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_add_epi32, _mm256_cvtepi8_epi16, _mm256_loadu_si256,
        _mm256_madd_epi16, _mm256_setzero_si256, _mm256_storeu_si256, _mm_loadu_si128,
    };
    let n = vector.len().min(source.len());
    let blocks = n / 16;
    let (mut dot, mut norm) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    for b in 0..blocks {
        // SAFETY: 16 bytes and 16 i16 from b * 16, within the first n of both slices
        // (unaligned loads).
        let (x, s) = unsafe {
            (
                _mm_loadu_si128(vector.as_ptr().add(b * 16) as *const __m128i),
                _mm256_loadu_si256(source.as_ptr().add(b * 16) as *const __m256i),
            )
        };
        let x = _mm256_cvtepi8_epi16(x);
        dot = _mm256_add_epi32(dot, _mm256_madd_epi16(x, s));
        norm = _mm256_add_epi32(norm, _mm256_madd_epi16(x, x));
    }
    let (mut d, mut q) = ([0i32; 8], [0i32; 8]);
    // SAFETY: eight i32 into arrays of eight.
    unsafe {
        _mm256_storeu_si256(d.as_mut_ptr() as *mut __m256i, dot);
        _mm256_storeu_si256(q.as_mut_ptr() as *mut __m256i, norm);
    }
    let (rest_dot, rest_norm) =
        dot_and_norm_portable(&vector[blocks * 16..n], &source[blocks * 16..n]);
    (
        d.iter().sum::<i32>() + rest_dot,
        q.iter().sum::<i32>() + rest_norm,
    )
}

/// The dot product of two vectors of i16 (each value at most 127 in size: widened signed
/// bytes), with the same vector code as [`dot_and_norm`] where the CPU has AVX2.
pub fn dot_i16(a: &[i16], b: &[i16]) -> i32 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, the only feature the copy is compiled for.
            return unsafe { dot_i16_avx2(a, b) };
        }
    }
    dot_i16_portable(a, b)
}

/// [`dot_i16`] of `a` with each of `others`: one check of the CPU for them all, and each
/// product inlined in the vector-code loop (filing an article under its cell takes 256).
pub fn dots_i16(a: &[i16], others: &[Vec<i16>]) -> Vec<i32> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, the only feature the copy is compiled for.
            return unsafe { dots_i16_avx2(a, others) };
        }
    }
    others.iter().map(|o| dot_i16_portable(a, o)).collect()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dots_i16_avx2(a: &[i16], others: &[Vec<i16>]) -> Vec<i32> {
    let mut out = Vec::with_capacity(others.len());
    let mut fours = others.chunks_exact(4);
    for four in &mut fours {
        if four.iter().all(|o| o.len() == a.len()) {
            out.extend(dot4_i16_avx2(a, four));
        } else {
            out.extend(four.iter().map(|o| dot_i16_avx2(a, o)));
        }
    }
    out.extend(fours.remainder().iter().map(|o| dot_i16_avx2(a, o)));
    out
}

/// Four dot products with `a`, each block of `a` loaded once for the four: half the
/// instructions of four calls.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot4_i16_avx2(a: &[i16], four: &[Vec<i16>]) -> [i32; 4] {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_setzero_si256,
        _mm256_storeu_si256,
    };
    let n = a.len();
    let blocks = n / 16;
    let mut acc = [_mm256_setzero_si256(); 4];
    for b in 0..blocks {
        // SAFETY: 16 i16 from b * 16 of slices of length n (checked by the caller: each of
        // `four` is as long as `a`); unaligned loads.
        unsafe {
            let x = _mm256_loadu_si256(a.as_ptr().add(b * 16) as *const __m256i);
            for (acc, o) in acc.iter_mut().zip(four) {
                let y = _mm256_loadu_si256(o.as_ptr().add(b * 16) as *const __m256i);
                *acc = _mm256_add_epi32(*acc, _mm256_madd_epi16(x, y));
            }
        }
    }
    let mut out = [0i32; 4];
    for ((out, acc), o) in out.iter_mut().zip(acc).zip(four) {
        let mut lanes = [0i32; 8];
        // SAFETY: eight i32 into an array of eight.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc) };
        *out = lanes.iter().sum::<i32>() + dot_i16_portable(&a[blocks * 16..n], &o[blocks * 16..n]);
    }
    out
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_i16_avx2(a: &[i16], b: &[i16]) -> i32 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_setzero_si256,
        _mm256_storeu_si256,
    };
    let n = a.len().min(b.len());
    let blocks = n / 16;
    let mut dot = _mm256_setzero_si256();
    for i in 0..blocks {
        // SAFETY: 16 i16 from i * 16, within the first n of both slices (unaligned loads).
        let (x, y) = unsafe {
            (
                _mm256_loadu_si256(a.as_ptr().add(i * 16) as *const __m256i),
                _mm256_loadu_si256(b.as_ptr().add(i * 16) as *const __m256i),
            )
        };
        dot = _mm256_add_epi32(dot, _mm256_madd_epi16(x, y));
    }
    let mut d = [0i32; 8];
    // SAFETY: eight i32 into an array of eight.
    unsafe { _mm256_storeu_si256(d.as_mut_ptr() as *mut __m256i, dot) };
    d.iter().sum::<i32>() + dot_i16_portable(&a[blocks * 16..n], &b[blocks * 16..n])
}

fn dot_i16_portable(a: &[i16], b: &[i16]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum()
}

fn dot_and_norm_portable(vector: &[u8], source: &[i16]) -> (i32, i32) {
    let (mut dot, mut norm) = (0i32, 0i32);
    for (&x, &s) in vector.iter().zip(source) {
        let x = i32::from(x as i8);
        dot += x * i32::from(s);
        norm += x * x;
    }
    (dot, norm)
}

/// Entities of an article that [`article_vector`] names, at most (in the article's order,
/// which for extracted entities is by salience).
pub const SALIENT_ENTITIES: usize = 5;

/// The stored ([`quantize`]d) vector of an article or draft in `language` (a code of
/// [`crate::analysis::Lang`]), from [`article_input`] of its pieces and its first
/// [`SALIENT_ENTITIES`] entities, with the shipped model, less the model's mean over its
/// language's text (the mean of the shipped means for a language without one). The one
/// definition for what the index keeps and what a related request compares with it.
///
/// Why the mean is taken out: the static model's vectors share a large component per
/// language (its norm ~0.84 of a unit vector), so any two texts of one language were closer
/// than a story and its translation. Measured by `examples/related_quality.rs` on the French
/// and German versions of ten Reuters stories (`data/crosslingual`) with `languages=any`:
/// the English original among the first 10 related articles for 5 of the 20 without the
/// means, 9 with them; the other translation 2 and 10. English related articles gained too
/// (+0.030 to +0.039 precision@10 over words alone on the tuning split).
pub fn article_vector(
    title: &str,
    summary: Option<&str>,
    body: Option<&str>,
    entities: &[&str],
    language: &str,
) -> Result<Vec<u8>> {
    let names = &entities[..entities.len().min(SALIENT_ENTITIES)];
    let input = article_input(title, summary.unwrap_or(""), body.unwrap_or(""), names);
    text_vector(&input, language)
}

/// The stored ([`quantize`]d) vector of any text in `language`, less its language's mean, as
/// [`article_vector`] makes an article's: what a search by meaning compares the articles'
/// vectors with (`semantic=true`).
pub fn text_vector(text: &str, language: &str) -> Result<Vec<u8>> {
    let mut v = Embedder::shipped()?.embed(text);
    // Blank text stays the zero vector (no meaning), not minus the mean.
    if v.iter().any(|&x| x != 0.0) {
        let means = language_means()?;
        let mean = means.by_code.get(language).unwrap_or(&means.other);
        if mean.len() == v.len() {
            v.iter_mut().zip(mean).for_each(|(x, m)| *x -= m);
        }
    }
    Ok(quantize(&v))
}

/// Sentences of the body that [`article_input`] keeps, at most.
pub const BODY_SENTENCES: usize = 3;
/// Characters of the body that [`article_input`] keeps, at most.
pub const BODY_CHARS: usize = 600;

/// The text an article is embedded from: its title, its summary, the first sentences of its
/// body (at most [`BODY_SENTENCES`] and [`BODY_CHARS`]; skipped when the body only repeats the
/// summary) and the names of its entities (each once), as one text. Each piece is optional
/// (pass `""` or `&[]`); whitespace is collapsed and each piece ends as a sentence.
///
/// A static model averages its tokens, so every piece weighs by its length: the body is cut
/// short so that the title and the names still count, and the caller picks which entities
/// (a few salient ones, not every place mentioned once).
pub fn article_input(title: &str, summary: &str, body: &str, entities: &[&str]) -> String {
    let mut out = String::new();
    let mut push = |piece: &str| {
        if piece.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
        if !piece.ends_with(is_sentence_end) {
            out.push('.');
        }
    };
    let title = unshout(&collapse_whitespace(title));
    let summary = collapse_whitespace(summary);
    push(&title);
    push(&summary);
    // Only the lead is kept: the body's words past what `lead_sentences` can look at (its
    // budget, and the character after it) are not collapsed at all.
    let body = collapse_whitespace_prefix(body, BODY_CHARS + 2);
    let lead = lead_sentences(&body, BODY_SENTENCES, BODY_CHARS);
    let (s, l) = (
        summary.trim_end_matches(is_sentence_end),
        lead.trim_end_matches(is_sentence_end),
    );
    let repeats_summary = !s.is_empty() && !l.is_empty() && (l.starts_with(s) || s.starts_with(l));
    if !repeats_summary {
        push(lead);
    }
    let mut names: Vec<String> = Vec::new();
    for name in entities {
        let name = collapse_whitespace(name);
        if !name.is_empty()
            && !names
                .iter()
                .any(|n| n.to_lowercase() == name.to_lowercase())
        {
            names.push(name);
        }
    }
    push(&names.join(", "));
    out
}

/// An all-capitals headline (wire copy: `ICO PRODUCERS TO PRESENT NEW COFFEE PROPOSAL`) in
/// lower case: the tokenizer cuts capitals into rare pieces whose rows say little, so a
/// shouted headline and the same words in a translation or a body land far apart.
fn unshout(text: &str) -> String {
    let letters = text.chars().filter(|c| c.is_alphabetic());
    if letters.clone().count() >= 4 && letters.clone().all(|c| !c.is_lowercase()) {
        text.to_lowercase()
    } else {
        text.to_string()
    }
}

/// Sentence-final punctuation, Latin and CJK.
fn is_sentence_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？')
}

/// The start of [`collapse_whitespace`]`(s)`: its first words, at least `min_chars` characters
/// of them, or all of it.
fn collapse_whitespace_prefix(s: &str, min_chars: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in s.split_whitespace() {
        if chars >= min_chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
    }
    out
}

/// `s` with runs of whitespace (newlines of wrapped text included) made one space, trimmed.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The first `max_sentences` sentences of `text` (whitespace already collapsed), within
/// `max_chars` characters; a first sentence longer than that is cut at a word boundary.
///
/// A sentence ends at `.`, `!` or `?` followed by a space, unless the word before the `.` is an
/// abbreviation-like word of one or two letters or has dots inside (`Mr.`, `U.S.`), or at
/// `。！？`.
fn lead_sentences(text: &str, max_sentences: usize, max_chars: usize) -> &str {
    let mut end = 0; // byte end of the sentences kept so far
    let mut sentences = 0;
    let mut chars = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        chars += 1;
        if chars > max_chars {
            break;
        }
        let after = i + c.len_utf8();
        let boundary = match c {
            '。' | '！' | '？' => true,
            '.' | '!' | '?' => {
                matches!(iter.peek(), None | Some((_, ' ')))
                    && (c != '.' || !abbreviation(&text[..i]))
            }
            _ => false,
        };
        if boundary {
            end = after;
            sentences += 1;
            if sentences == max_sentences {
                return &text[..end];
            }
        }
        if iter.peek().is_none() {
            // The whole text fits.
            return text;
        }
    }
    if end > 0 {
        return &text[..end];
    }
    // No sentence end within the budget: cut the first `max_chars` characters at a space.
    let cut = text
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(i, _)| i);
    match text[..cut].rfind(' ') {
        Some(space) if cut < text.len() => &text[..space],
        _ => &text[..cut],
    }
}

/// Whether the word that `before` ends with (the text up to a `.`) looks like an abbreviation:
/// one or two letters (`Mr`, `St`, `Co`), or a dot inside (`U.S`).
fn abbreviation(before: &str) -> bool {
    let word = before.rsplit(' ').next().unwrap_or("");
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    word.contains('.')
        || (letters > 0 && word.chars().count() <= 2 && letters == word.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector-code dot product is the scalar one, for every length (blocks of 16 and a
    /// remainder) and for extreme values.
    #[test]
    fn dot_and_norm_is_the_same_with_and_without_avx2() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for len in [0, 1, 15, 16, 17, 255, 256, 300] {
            let v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let s: Vec<i16> = (0..len).map(|_| (next() % 255) as i16 - 127).collect();
            let want = dot_and_norm_portable(&v, &s);
            assert_eq!(dot_and_norm(&v, &s), want, "{len}");
            let wide: Vec<i16> = v.iter().map(|&x| i16::from(x as i8)).collect();
            assert_eq!(dot_i16(&wide, &s), want.0, "{len}");
            assert_eq!(
                dots_i16(&wide, &[s.clone(), wide.clone()])[0],
                want.0,
                "{len}"
            );
            let extreme = vec![0x80u8; len];
            let s = vec![-127i16; len];
            assert_eq!(
                dot_and_norm(&extreme, &s),
                dot_and_norm_portable(&extreme, &s)
            );
            let wide = vec![-128i16; len];
            assert_eq!(dot_i16(&wide, &s), dot_i16_portable(&wide, &s));
        }
    }

    /// Events written for this test, each as (English, French, German).
    const EVENTS: [(&str, &str, &str); 5] = [
        (
            "Severe floods submerged several villages in northern Italy after days of torrential rain.",
            "De violentes inondations ont submergé plusieurs villages du nord de l'Italie après des jours de pluies torrentielles.",
            "Heftige Überschwemmungen haben nach tagelangen sintflutartigen Regenfällen mehrere Dörfer in Norditalien überflutet.",
        ),
        (
            "The Dutch prime minister resigned after the collapse of his governing coalition.",
            "Le Premier ministre néerlandais a démissionné après l'effondrement de sa coalition gouvernementale.",
            "Der niederländische Ministerpräsident ist nach dem Zusammenbruch seiner Regierungskoalition zurückgetreten.",
        ),
        (
            "The rocket lifted off from Florida carrying four astronauts to the International Space Station.",
            "La fusée a décollé de Floride avec quatre astronautes à bord, en route vers la Station spatiale internationale.",
            "Die Rakete ist mit vier Astronauten an Bord in Florida zur Internationalen Raumstation gestartet.",
        ),
        (
            "Oil prices fell sharply after OPEC decided to increase its production.",
            "Les prix du pétrole ont fortement chuté après la décision de l'OPEP d'augmenter sa production.",
            "Die Ölpreise sind stark gefallen, nachdem die OPEC beschlossen hatte, ihre Förderung zu erhöhen.",
        ),
        (
            "The Polish player won the French Open tennis tournament for the third time.",
            "La joueuse polonaise a remporté le tournoi de tennis de Roland-Garros pour la troisième fois.",
            "Die polnische Spielerin hat das Tennisturnier von Roland Garros zum dritten Mal gewonnen.",
        ),
    ];

    fn model() -> &'static Embedder {
        Embedder::shipped().expect("the shipped model loads")
    }

    fn embed_all(texts: impl Iterator<Item = &'static str>) -> Vec<Vec<f32>> {
        let texts: Vec<&str> = texts.collect();
        model().embed_batch(&texts)
    }

    /// Measured on the committed model (FR rows × DE columns):
    ///
    /// ```text
    ///         flood  PM     rocket oil    tennis
    /// flood   0.599  0.433  0.603  0.206  0.541
    /// PM      0.581  0.614  0.570  0.318  0.455
    /// rocket  0.635  0.437  0.782  0.381  0.581
    /// oil     0.598  0.402  0.595  0.409  0.525
    /// tennis  0.589  0.419  0.703  0.313  0.769
    /// ```
    ///
    /// 16 of the 20 (same event, other event) comparisons are right; the French oil sentence is
    /// nearer three unrelated German ones than its translation (German grammar words weigh
    /// more than `Öl`/`preis`/`OPEC` in a static model). Mean gap 0.140. A scrambled table
    /// or a wrong tokenizer gives about half right and no gap.
    #[test]
    fn french_and_german_of_one_event_are_closer_than_of_two_events() {
        let fr = embed_all(EVENTS.iter().map(|e| e.1));
        let de = embed_all(EVENTS.iter().map(|e| e.2));
        let n = EVENTS.len();
        let (mut right, mut comparisons) = (0, 0);
        let (mut same, mut other) = (0.0, 0.0);
        let mut table = String::new();
        for i in 0..n {
            for j in 0..n {
                let c = cosine(&fr[i], &de[j]);
                table += &format!("{c:6.3}");
                if i == j {
                    same += c / n as f32;
                    continue;
                }
                other += c / (n * (n - 1)) as f32;
                comparisons += 1;
                if cosine(&fr[i], &de[i]) > c {
                    right += 1;
                }
            }
            table.push('\n');
        }
        assert!(
            right * 10 >= comparisons * 7,
            "FR/DE: the translation is nearer than another event's German sentence in only \
             {right} of {comparisons} comparisons (16 of 20 measured):\n{table}"
        );
        assert!(
            same - other >= 0.08,
            "FR/DE: same event {same:.3}, other events {other:.3} (gap 0.140 measured):\n{table}"
        );
    }

    #[test]
    fn an_english_sentence_is_nearest_to_its_translation() {
        let en = embed_all(EVENTS.iter().map(|e| e.0));
        for (lang, candidates) in [
            ("French", embed_all(EVENTS.iter().map(|e| e.1))),
            ("German", embed_all(EVENTS.iter().map(|e| e.2))),
        ] {
            for (i, e) in en.iter().enumerate() {
                let scores: Vec<f32> = candidates.iter().map(|c| cosine(e, c)).collect();
                let best = (0..scores.len())
                    .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
                    .unwrap();
                assert_eq!(
                    best, i,
                    "EN {i} is nearest to {lang} {best}, not to its translation ({scores:.3?}):\n{}",
                    EVENTS[i].0
                );
            }
        }
    }

    /// The texts of the sentences of every UD treebank in `data/ud` (seven languages).
    fn ud_sentences() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/ud");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if !path.to_string_lossy().ends_with(".conllu.gz") {
                continue;
            }
            let mut text = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            out.extend(
                text.lines()
                    .filter_map(|l| l.strip_prefix("# text = "))
                    .step_by(3)
                    .map(str::to_string),
            );
        }
        out
    }

    /// Every 7th Reuters-21578 article's title and body, as they come (wire copy with runs
    /// of spaces, newlines, `<`, `&lt;`).
    fn reuters_texts() -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/reuters21578.ndjson.gz");
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        text.lines()
            .step_by(7)
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                format!("{}\n{}", field("title"), field("body"))
            })
            .collect()
    }

    /// The patched model2vec-rs tokenizes the shipped pipeline on plain strings (no
    /// `tokenizers::Tokenizer` is built, `vendor/README.md`): its IDs must be the `tokenizers`
    /// crate's for every text, or the vectors would drift from the ones the model was made for.
    #[test]
    fn token_ids_are_the_tokenizers_crate_ones() {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(SHIPPED_TOKENIZER_GZ)
            .read_to_end(&mut json)
            .unwrap();
        let reference = tokenizers::Tokenizer::from_bytes(&json).unwrap();
        let m = model();
        let edge_cases = [
            "",
            " ",
            "  Oil  prices   fell ",
            "Oil ",
            " oil",
            "   ",
            "a \t b  c\n",
            "<s>Oil</s> <pad><unk> a<s>b </s",
            "ｏｉｌ　ＰＲＩＣＥＳ ① ﬁnance",
            "cafe\u{301} naïve\u{a0}prix",
            "x\ny\tz\r\n",
            "▁already▁split ▁",
            "石油価格が下落した。原油\u{3000}価格",
            "\u{1F600} emoji and \u{200b}zero width",
        ];
        let texts: Vec<String> = edge_cases
            .iter()
            .map(|s| s.to_string())
            .chain(ud_sentences())
            .chain(reuters_texts())
            .collect();
        assert!(texts.len() > 4_000, "{} texts", texts.len());
        for text in &texts {
            let want = reference.encode_fast(text.as_str(), false).unwrap();
            assert_eq!(m.token_ids(text), want.get_ids(), "{text:?}");
        }
    }

    #[test]
    fn vectors_are_normalised_and_batch_equals_single() {
        let m = model();
        assert_eq!(m.dims(), 256);
        let texts = [
            EVENTS[0].0,
            EVENTS[1].1,
            EVENTS[2].2,
            "Tokyo",
            "東京で大きな地震があった。",
            "Москва объявила о новых санкциях.",
            "a",
        ];
        let batch = m.embed_batch(&texts);
        assert_eq!(batch.len(), texts.len());
        for (text, v) in texts.iter().zip(&batch) {
            assert_eq!(v.len(), m.dims());
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-4, "|{text}| = {norm}");
            assert_eq!(v, &m.embed(text), "batch and single differ for {text}");
            assert!((cosine(v, v) - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn a_text_without_tokens_is_the_zero_vector() {
        let m = model();
        let some = m.embed("Oil prices fell.");
        for text in ["", " ", "\n\t  \n"] {
            let v = m.embed(text);
            assert_eq!(v.len(), m.dims(), "{text:?}");
            assert!(v.iter().all(|&x| x == 0.0), "{text:?} gives {v:?}");
            assert_eq!(cosine(&v, &some), 0.0);
        }
        assert!(m.embed_batch(&[]).is_empty());
        // Control characters and symbols alone: a defined, finite vector, normalised or zero.
        for text in ["\u{0}\u{1}", "🦀🦀🦀", "\u{FFFD}", "........"] {
            let v = m.embed(text);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!(
                v.iter().all(|x| x.is_finite()) && (norm == 0.0 || (norm - 1.0).abs() < 1e-4),
                "{text:?}: norm {norm}"
            );
        }
    }

    #[test]
    fn quantized_cosines_stay_within_a_hundredth() {
        let texts = [
            "Oil prices rose after OPEC agreed to cut output.",
            "Le prix du pétrole a augmenté après l'accord de l'OPEP.",
            "The central bank left interest rates unchanged.",
            "Cocoa arrivals in Bahia fell because of the drought.",
        ];
        let v = embed_all(texts.into_iter());
        let q: Vec<Vec<u8>> = v.iter().map(|x| quantize(x)).collect();
        for i in 0..v.len() {
            for j in 0..v.len() {
                let exact = cosine(&v[i], &v[j]);
                let stored = cosine_quantized(&q[i], &q[j]);
                assert!(
                    (exact - stored).abs() < 0.01,
                    "{i},{j}: {exact} vs {stored}"
                );
            }
        }
        assert_eq!(quantize(&[0.0; 4]), vec![0; 4]);
        assert_eq!(cosine_quantized(&[0; 4], &q[0][..4]), 0.0);
        assert_eq!(cosine_quantized(&q[0], &q[1][..8]), 0.0);
    }

    #[test]
    fn cosine_of_plain_vectors() {
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!((cosine(&[1.0, 0.0], &[0.0, 3.0])).abs() < 1e-6);
        assert!((cosine(&[1.0, 1.0], &[-1.0, -1.0]) + 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[], &[]), 0.0);
    }

    #[test]
    #[should_panic(expected = "different lengths")]
    fn cosine_of_different_lengths_panics() {
        cosine(&[1.0], &[1.0, 0.0]);
    }

    #[test]
    fn article_input_joins_the_pieces_as_sentences() {
        let body =
            "Oil prices fell on Monday.\n   OPEC met in Vienna! Will it last? Analysts doubt it.";
        assert_eq!(
            article_input(
                "  OPEC raises\noutput ",
                "",
                body,
                &["OPEC", "Vienna", "opec", " "]
            ),
            "OPEC raises output. Oil prices fell on Monday. OPEC met in Vienna! Will it last? \
             OPEC, Vienna."
        );
        assert_eq!(article_input("", "", "", &[]), "");
        assert_eq!(article_input("Title", "", "", &[]), "Title.");
        assert_eq!(article_input("", "", "", &["Paris"]), "Paris.");
    }

    /// The lead taken from the collapsed start of a body is the one taken from the whole
    /// body collapsed, on every Reuters article and UD sentence run together.
    #[test]
    fn the_lead_of_the_collapsed_start_is_the_lead_of_the_whole() {
        let mut bodies = reuters_texts();
        bodies.push(ud_sentences().join(" \n "));
        bodies
            .extend(["a.  b", "", "word", &"x ".repeat(700), &"y. ".repeat(400)].map(String::from));
        for body in &bodies {
            let whole = collapse_whitespace(body);
            let start = collapse_whitespace_prefix(body, BODY_CHARS + 2);
            assert!(whole.starts_with(&start));
            assert_eq!(
                lead_sentences(&start, BODY_SENTENCES, BODY_CHARS),
                lead_sentences(&whole, BODY_SENTENCES, BODY_CHARS),
                "{body:?}"
            );
        }
    }

    #[test]
    fn article_input_skips_a_body_that_repeats_the_summary() {
        let summary = "Oil prices fell on Monday.";
        let body = "Oil prices fell on Monday. OPEC met in Vienna.";
        assert_eq!(
            article_input("Oil", summary, body, &[]),
            "Oil. Oil prices fell on Monday."
        );
        assert_eq!(
            article_input("Oil", "Crude slumps", body, &[]),
            "Oil. Crude slumps. Oil prices fell on Monday. OPEC met in Vienna."
        );
    }

    #[test]
    fn lead_sentences_keeps_abbreviations_and_the_budget() {
        let text =
            "The U.S. and Mr. Smith met in Washington. Prices were 5.93 mln. Third one. Fourth.";
        assert_eq!(
            lead_sentences(text, 2, 1000),
            "The U.S. and Mr. Smith met in Washington. Prices were 5.93 mln."
        );
        assert_eq!(lead_sentences(text, 9, 1000), text);
        // The budget stops before the second sentence's end: only the first is kept.
        assert_eq!(
            lead_sentences(text, 3, 50),
            "The U.S. and Mr. Smith met in Washington."
        );
        // A first sentence over the budget is cut at a word.
        assert_eq!(lead_sentences("aaa bbb ccc ddd", 3, 9), "aaa bbb");
        assert_eq!(lead_sentences("aaa bbb", 3, 9), "aaa bbb");
        assert_eq!(
            lead_sentences("東京で地震。被害は小さい。続報", 1, 100),
            "東京で地震。"
        );
        assert_eq!(lead_sentences("", 3, 100), "");
        let long: String = "é".repeat(700);
        assert_eq!(
            lead_sentences(&long, 3, BODY_CHARS).chars().count(),
            BODY_CHARS
        );
    }
}
