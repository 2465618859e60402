//! Cutting text into tokens, for every script.
//!
//! Space-delimited scripts are cut into runs of letters, digits and combining marks (marks
//! belong to their letter: a Tamil vowel sign or an Arabic vowel point does not end a word),
//! exactly where tantivy's `SimpleTokenizer` cuts Latin text, so English is indexed as before.
//!
//! Runs of Chinese, Japanese and Korean characters are cut as Lucene's CJK analyzer does, into
//! overlapping character pairs (`外交部` → `外交`, `交部`), with each character also indexed
//! alone at the same position. A query's run becomes its pairs at consecutive positions (a
//! phrase), so it finds exactly the texts that contain it, whatever words a segmenter would
//! have cut around it: `外交` finds `外交部`, and `서울` finds `서울에서`. A lone character is
//! searched as itself. Korean particles are taken off a query's phrase first (`서울에서` is
//! searched as `서울`), so that a query with one particle finds the noun with any other.
//!
//! Word lists (the `words` fields that typo tolerance and suggestions read) want words, not
//! pairs: Chinese runs are cut with jieba's dictionary (in search mode), Japanese runs with
//! IPADIC's when it is loaded ([`super::japanese`]), else into runs of one script (kanji
//! compounds, katakana names; hiragana is mostly inflection and particles and is left out), and
//! Korean phrases lose their particles.

use std::collections::VecDeque;
use std::sync::OnceLock;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::languages::{Lang, Segmentation};

/// Longest word indexed, in characters; longer runs (hashes, base64, URLs without
/// punctuation) take their position but are not indexed.
pub const MAX_WORD_CHARS: usize = 40;

/// What the tokens are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Text fields of a document: CJK runs as pairs and single characters.
    Index,
    /// A query on the text fields: CJK runs as pairs only (a phrase), particles removed.
    Query,
    /// Word lists: CJK runs as words.
    Words,
}

/// The tokenizer of one language and mode.
#[derive(Clone)]
pub struct NewsTokenizer {
    lang: Lang,
    mode: Mode,
    pending: VecDeque<Token>,
}

impl NewsTokenizer {
    pub fn new(lang: Lang, mode: Mode) -> NewsTokenizer {
        NewsTokenizer {
            lang,
            mode,
            pending: VecDeque::new(),
        }
    }
}

impl Tokenizer for NewsTokenizer {
    type TokenStream<'a> = NewsTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> NewsTokenStream<'a> {
        self.pending.clear();
        NewsTokenStream {
            text,
            offset: 0,
            position: 0,
            token: Token::default(),
            pending: &mut self.pending,
            lang: self.lang,
            mode: self.mode,
        }
    }
}

/// The tokens of one text.
pub struct NewsTokenStream<'a> {
    text: &'a str,
    /// Byte offset of the next character to read.
    offset: usize,
    /// Position of the next token.
    position: usize,
    token: Token,
    /// Tokens of the current CJK run, not yet handed out.
    pending: &'a mut VecDeque<Token>,
    lang: Lang,
    mode: Mode,
}

/// Whether `c` is written without spaces between words (Han, kana) or is Hangul.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF      // Hangul Jamo
        | 0x3005             // 々, the kanji iteration mark
        | 0x3040..=0x30FF    // Hiragana, Katakana (with ー)
        | 0x3130..=0x318F    // Hangul compatibility Jamo
        | 0x31F0..=0x31FF    // Katakana phonetic extensions
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x3134F) // CJK Extensions B..G
}

fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF)
}

fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F)
}

fn is_hiragana(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x309F)
}

/// Letters, digits and the marks that belong to them.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

impl TokenStream for NewsTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(t) = self.pending.pop_front() {
                self.token = t;
                return true;
            }
            let Some(start) = word_start(self.text, self.offset) else {
                self.offset = self.text.len();
                return false;
            };
            let first = self.text[start..].chars().next().expect("a char at start");
            if is_cjk(first) {
                let end = run_end(self.text, start, is_cjk);
                self.offset = end;
                self.cjk_run(start, end);
                continue;
            }
            let end = word_end(self.text, start);
            self.offset = end;
            let position = self.position;
            self.position += 1;
            // No more characters than bytes: a short word needs no count.
            if end - start > MAX_WORD_CHARS
                && self.text[start..end].chars().nth(MAX_WORD_CHARS).is_some()
            {
                continue;
            }
            self.token.text.clear();
            self.token.text.push_str(&self.text[start..end]);
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.position = position;
            self.token.position_length = 1;
            return true;
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The runs of alphanumeric characters of `text` (where `SimpleTokenizer` cuts), as
/// `text.split(|c: char| !c.is_alphanumeric())` without its empty pieces, with ASCII bytes
/// classed without decoding a char: language detection and the near-duplicate signals read
/// every article's words this way.
pub fn alphanumeric_runs(text: &str) -> AlphanumericRuns<'_> {
    AlphanumericRuns { text, at: 0 }
}

/// `word` in lower case: itself when it has no capital or non-ASCII letter (most words of news
/// text), else its lowercasing written into `buf`.
pub fn lowercased<'a>(word: &'a str, buf: &'a mut String) -> &'a str {
    if !word
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        return word;
    }
    buf.clear();
    buf.extend(word.chars().flat_map(char::to_lowercase));
    buf
}

/// The iterator of [`alphanumeric_runs`].
pub struct AlphanumericRuns<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for AlphanumericRuns<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let alphanumeric = |c: char| c.is_alphanumeric();
        let start = scan(
            self.text,
            self.at,
            u8::is_ascii_alphanumeric,
            alphanumeric,
            true,
        );
        if start == self.text.len() {
            self.at = start;
            return None;
        }
        self.at = scan(
            self.text,
            start,
            u8::is_ascii_alphanumeric,
            alphanumeric,
            false,
        );
        Some(&self.text[start..self.at])
    }
}

/// The first byte from `from` where a char's class is `wanted`, or the text's end. An ASCII
/// byte is classed by `ascii` without decoding a char (or looking up combining marks), any
/// other char by `wide`: most news text is ASCII, and scanning it char by char was the
/// tokenizer's dearest step (a tenth of an upload's instructions).
#[inline]
fn scan(
    text: &str,
    from: usize,
    ascii: impl Fn(&u8) -> bool,
    wide: impl Fn(char) -> bool,
    wanted: bool,
) -> usize {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(b) = bytes.get(i) {
        let (class, len) = if b.is_ascii() {
            (ascii(b), 1)
        } else {
            let c = text[i..].chars().next().expect("a char boundary");
            (wide(c), c.len_utf8())
        };
        if class == wanted {
            return i;
        }
        i += len;
    }
    text.len()
}

/// Where the next word or CJK run starts, from byte `from`.
fn word_start(text: &str, from: usize) -> Option<usize> {
    let start = scan(
        text,
        from,
        u8::is_ascii_alphanumeric,
        |c| is_word_char(c) || is_cjk(c),
        true,
    );
    (start < text.len()).then_some(start)
}

/// Where the word (not CJK) starting at `start` ends.
fn word_end(text: &str, start: usize) -> usize {
    scan(
        text,
        start,
        u8::is_ascii_alphanumeric,
        |c| is_word_char(c) && !is_cjk(c),
        false,
    )
}

fn run_end(text: &str, start: usize, keep: impl Fn(char) -> bool) -> usize {
    text[start..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(text.len(), |(i, _)| start + i)
}

impl NewsTokenStream<'_> {
    /// Queues the tokens of the CJK run `text[start..end]`.
    fn cjk_run(&mut self, start: usize, end: usize) {
        let run = &self.text[start..end];
        match self.mode {
            Mode::Index => self.pairs(start, run, true),
            Mode::Query => {
                let run = if run.chars().all(is_hangul) {
                    strip_particle(run)
                } else {
                    run
                };
                self.pairs(start, run, false)
            }
            Mode::Words => {
                let words = words_of_run(self.lang, run);
                for (from, to) in words {
                    self.push(start + from, start + to, self.position);
                    self.position += 1;
                }
            }
        }
    }

    /// Character pairs of `run` (starting at byte `start`), and with `singles` each
    /// character at its pair's position; a lone character stands for itself.
    fn pairs(&mut self, start: usize, run: &str, singles: bool) {
        let chars: Vec<(usize, usize)> = run
            .char_indices()
            .map(|(i, c)| (start + i, start + i + c.len_utf8()))
            .collect();
        if chars.len() == 1 {
            self.push(chars[0].0, chars[0].1, self.position);
            self.position += 1;
            return;
        }
        for (i, &(from, to)) in chars.iter().enumerate() {
            let position = self.position + i;
            if singles {
                self.push(from, to, position);
            }
            if let Some(&(_, next_to)) = chars.get(i + 1) {
                self.push(from, next_to, position);
            }
        }
        self.position += chars.len();
    }

    fn push(&mut self, from: usize, to: usize, position: usize) {
        self.pending.push_back(Token {
            offset_from: from,
            offset_to: to,
            position,
            text: self.text[from..to].to_string(),
            position_length: 1,
        });
    }
}

/// Korean particles (josa), longest first. One taken off a phrase leaves its noun:
/// `서울에서` → `서울`.
const PARTICLES: &[&str] = &[
    "에서부터",
    "으로부터",
    "에서는",
    "에서도",
    "에서의",
    "에게서",
    "으로서",
    "으로써",
    "으로는",
    "으로도",
    "이라는",
    "에서",
    "에게",
    "한테",
    "께서",
    "부터",
    "까지",
    "으로",
    "처럼",
    "보다",
    "이나",
    "라는",
    "에는",
    "에도",
    "와의",
    "과의",
    "이다",
    "로서",
    "로써",
    "로는",
    "의",
    "에",
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "도",
    "만",
    "와",
    "과",
    "로",
];

/// `phrase` without a trailing particle, if what is left is still a word: two syllables at
/// least before a one-syllable particle (`아이` is a word, not `아` + `이`), one before a longer
/// one.
pub fn strip_particle(phrase: &str) -> &str {
    let syllables = phrase.chars().count();
    for p in PARTICLES {
        if let Some(stem) = phrase.strip_suffix(p) {
            let left = syllables - p.chars().count();
            let needed = if p.chars().count() == 1 { 2 } else { 1 };
            if left >= needed {
                return stem;
            }
        }
    }
    phrase
}

/// The words of a CJK run, as byte ranges of `run`.
fn words_of_run(lang: Lang, run: &str) -> Vec<(usize, usize)> {
    if run.chars().all(is_hangul) {
        return vec![(0, strip_particle(run).len())];
    }
    let japanese = lang.rules().segmentation == Segmentation::Japanese || run.chars().any(is_kana);
    if japanese {
        return super::japanese::words(run).unwrap_or_else(|| script_runs(run));
    }
    // Search mode also lists the dictionary words inside a long word (`中国外交部` gives
    // `中国`, `外交`, `外交部` too), so that each completes and matches on its own.
    jieba()
        .cut_for_search(run, true)
        .into_iter()
        .map(|t| (t.byte_start, t.byte_end))
        .collect()
}

/// Runs of one script (kanji, katakana, Hangul); hiragana runs are left out.
fn script_runs(run: &str) -> Vec<(usize, usize)> {
    let class = |c: char| {
        if is_hiragana(c) {
            0
        } else if is_kana(c) {
            1
        } else if is_hangul(c) {
            2
        } else {
            3
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut current = None;
    for (i, c) in run.char_indices() {
        let k = class(c);
        // ー (prolonged sound) continues a katakana word.
        let k = if c == 'ー' { current.unwrap_or(k) } else { k };
        if current != Some(k) {
            if let Some(prev) = current {
                if prev != 0 {
                    out.push((start, i));
                }
            }
            start = i;
            current = Some(k);
        }
    }
    if let Some(prev) = current {
        if prev != 0 {
            out.push((start, run.len()));
        }
    }
    out
}

/// jieba with its bundled dictionary (MIT), loaded once, on the first Chinese text.
fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_runs_are_the_pieces_of_a_split() {
        for text in [
            "Cocoa prices rose 3.5% in London; traders' stocks (ICCO) fell.",
            "Café crème, cafe\u{301} cre\u{300}me: naïve x² ½ №5 Ⅻ",
            "東京都で新しい条例 Tokyo 2024年 서울에서, Президент «о мерах» العربية 123",
            "  leading and trailing  ",
            "",
            "-",
        ] {
            let split: Vec<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(
                alphanumeric_runs(text).collect::<Vec<_>>(),
                split,
                "{text:?}"
            );
        }
    }

    /// The byte scans find the words that scanning chars with the same tests finds, from
    /// every offset of texts mixing ASCII, accents (precomposed and combining), superscripts,
    /// other scripts and CJK.
    #[test]
    fn byte_scans_agree_with_char_scans() {
        let start_by_chars = |text: &str, from: usize| {
            text[from..]
                .find(|c: char| is_word_char(c) || is_cjk(c))
                .map(|i| from + i)
        };
        let end_by_chars =
            |text: &str, start: usize| run_end(text, start, |c| is_word_char(c) && !is_cjk(c));
        let texts = [
            "Cocoa prices rose 3.5% in London; traders' stocks (ICCO) fell.",
            "Café crème, cafe\u{301} cre\u{300}me: naïve x² ½ №5 Ⅻ",
            "Президент подписал указ — «о мерах» 2024 г.",
            "東京都で新しい条例が成立 Tokyo 2024年 서울에서 회의",
            "العربية 123 עברית ελληνικά हिन्दी\u{94d} ไทย",
            "\u{301}leading mark, tab\tnew\nline  spaces\u{a0}nbsp",
            "",
        ];
        for text in texts {
            for from in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                let start = word_start(text, from);
                assert_eq!(start, start_by_chars(text, from), "{text:?} from {from}");
                let Some(start) = start else { continue };
                let first = text[start..].chars().next().unwrap();
                if !is_cjk(first) {
                    assert_eq!(
                        word_end(text, start),
                        end_by_chars(text, start),
                        "{text:?} at {start}"
                    );
                }
            }
        }
    }

    fn tokens(lang: &str, mode: Mode, text: &str) -> Vec<(String, usize)> {
        let mut t = NewsTokenizer::new(Lang::of_tag(lang), mode);
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            let tok = s.token();
            assert_eq!(&text[tok.offset_from..tok.offset_to], tok.text);
            out.push((tok.text.clone(), tok.position));
        }
        out
    }

    fn texts(lang: &str, mode: Mode, text: &str) -> Vec<String> {
        tokens(lang, mode, text).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn latin_text_is_cut_where_simple_tokenizer_cuts_it() {
        use tantivy::tokenizer::SimpleTokenizer;
        let text = "U.S. oil-prices rose 2.5% on Monday's news; Zürich café ... x";
        let mut simple = SimpleTokenizer::default();
        let mut stream = simple.token_stream(text);
        let mut expected = Vec::new();
        while stream.advance() {
            let t = stream.token();
            expected.push((t.text.clone(), t.position));
        }
        assert_eq!(tokens("en", Mode::Index, text), expected);
    }

    #[test]
    fn marks_stay_with_their_letters() {
        // Tamil vowel signs and the virama are marks, not separators.
        assert_eq!(texts("ta", Mode::Index, "தமிழ் நாடு"), vec!["தமிழ்", "நாடு"]);
        // A decomposed é.
        assert_eq!(
            texts("fr", Mode::Index, "e\u{301}te\u{301}"),
            vec!["e\u{301}te\u{301}"]
        );
    }

    #[test]
    fn cjk_runs_are_pairs_and_singles_when_indexed_and_pairs_when_queried() {
        assert_eq!(
            tokens("zh", Mode::Index, "外交部"),
            vec![
                ("外".into(), 0),
                ("外交".into(), 0),
                ("交".into(), 1),
                ("交部".into(), 1),
                ("部".into(), 2)
            ]
        );
        assert_eq!(
            tokens("zh", Mode::Query, "外交部"),
            vec![("外交".into(), 0), ("交部".into(), 1)]
        );
        assert_eq!(tokens("zh", Mode::Query, "中"), vec![("中".into(), 0)]);
        // Latin inside CJK text is a word of its own, positions go on.
        assert_eq!(
            tokens("zh", Mode::Index, "在G20峰会"),
            vec![
                ("在".into(), 0),
                ("G20".into(), 1),
                ("峰".into(), 2),
                ("峰会".into(), 2),
                ("会".into(), 3)
            ]
        );
    }

    #[test]
    fn korean_particles_come_off_queries_and_word_lists() {
        assert_eq!(texts("ko", Mode::Query, "서울에서"), vec!["서울"]);
        assert_eq!(texts("ko", Mode::Query, "서울의"), vec!["서울"]);
        assert_eq!(
            texts("ko", Mode::Words, "서울에서 대통령은"),
            vec!["서울", "대통령"]
        );
        // Too short to be noun + particle.
        assert_eq!(strip_particle("아이"), "아이");
        assert_eq!(strip_particle("나는"), "나는");
    }

    #[test]
    fn chinese_and_japanese_word_lists() {
        let zh = texts("zh", Mode::Words, "中国外交部回应");
        for w in ["中国", "外交部", "回应"] {
            assert!(zh.iter().any(|t| t == w), "{w} in {zh:?}");
        }
        // IPADIC's nouns when the dictionary is there, else runs of one script (the unit
        // tests share one process: whichever test loads the dictionary first decides).
        let expected = if super::super::japanese::load_for_tests() {
            vec!["東京", "オリンピック"]
        } else {
            vec!["東京都", "オリンピック", "開"]
        };
        assert_eq!(
            texts("ja", Mode::Words, "東京都でオリンピックが開かれた"),
            expected
        );
    }
}
