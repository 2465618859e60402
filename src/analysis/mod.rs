//! Text analysis per language: which language an article is in, and how its text (and a query
//! in its language) is cut into terms.
//!
//! One index holds every language with one schema, so that a mixed-language site filters,
//! facets and searches across them at once. Each article's text is analysed by its own
//! language's rules ([`languages::LANGUAGES`]): the text fields receive the text behind a
//! marker naming the language ([`tagged`]), which the fields' analyzer ([`Dispatch`]) reads to
//! choose the rules. A query is analysed by the rules of the languages it may be in
//! ([`query_languages`]), so that it finds what the documents' analysis indexed.
//!
//! Every language: NFKC and lower case ([`normalize`]); words cut at spaces and punctuation,
//! Chinese, Japanese and Korean as overlapping character pairs ([`tokenizer`]); then, where the
//! language has them, accent folding and a Snowball stemmer ([`stem`]).

pub mod detect;
pub mod japanese;
pub mod languages;
pub mod normalize;
pub mod stem;
pub mod tokenizer;

use std::sync::OnceLock;

use tantivy::tokenizer::{AsciiFoldingFilter, BoxTokenStream, TextAnalyzer, Tokenizer};

pub use detect::detect;
pub use languages::{Lang, Script};
pub use tokenizer::Mode;

/// The analyzer of one language's text for one use.
pub fn analyzer(lang: Lang, mode: Mode) -> TextAnalyzer {
    let rules = lang.rules();
    let base = TextAnalyzer::builder(tokenizer::NewsTokenizer::new(lang, mode))
        .filter(normalize::Normalize(rules.normalizer));
    let stemmer = rules.stemmer.filter(|_| mode != Mode::Words);
    // Word lists (typo tolerance, suggestions) are accent-insensitive in every language: a
    // suggestion should come whether or not the user typed the accents.
    let fold = rules.fold || mode == Mode::Words;
    match (fold, stemmer) {
        (true, Some(s)) => base
            .filter(AsciiFoldingFilter)
            .filter(stem::CachedStemmer(s))
            .build(),
        (true, None) => base.filter(AsciiFoldingFilter).build(),
        (false, Some(s)) => base.filter(stem::CachedStemmer(s)).build(),
        (false, None) => base.build(),
    }
}

/// Runs `f` with this thread's analyzer of `lang` for `mode`, built once per thread: a query is
/// analysed by the rules of every language of the index in its script, and building an
/// analyzer (its tokenizer and filters) costs more than analysing a short query.
pub fn with_analyzer<R>(lang: Lang, mode: Mode, f: impl FnOnce(&mut TextAnalyzer) -> R) -> R {
    thread_local! {
        static KEPT: std::cell::RefCell<Vec<Option<TextAnalyzer>>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let slot = lang.index() * 3 + mode as usize;
    // Taken out while `f` runs, so that `f` may ask for analyzers itself.
    let kept = KEPT.with(|k| k.borrow_mut().get_mut(slot).and_then(Option::take));
    let mut analyzer = kept.unwrap_or_else(|| analyzer(lang, mode));
    let out = f(&mut analyzer);
    KEPT.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() <= slot {
            k.resize_with(slot + 1, || None);
        }
        k[slot] = Some(analyzer);
    });
    out
}

/// Marks the start of a language tag in front of a field's text; U+FDD0 and U+FDD1 are
/// noncharacters, never found in interchanged text.
const TAG_OPEN: char = '\u{FDD0}';
const TAG_CLOSE: char = '\u{FDD1}';

/// `text` with its language named in front, for a field analysed by [`Dispatch`].
pub fn tagged(lang: Lang, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 12);
    out.push(TAG_OPEN);
    out.push_str(lang.code());
    out.push(TAG_CLOSE);
    out.push_str(text);
    out
}

/// The language named in front of `text` by [`tagged`], and the text after it.
fn untag(text: &str) -> Option<(Lang, &str)> {
    let rest = text.strip_prefix(TAG_OPEN)?;
    let (code, text) = rest.split_once(TAG_CLOSE)?;
    Some((Lang::of_tag(code), text))
}

/// The analyzer of an indexed field: each text is analysed by the rules of the language
/// [`tagged`] in front of it, or of the default language.
#[derive(Clone)]
pub struct Dispatch {
    mode: Mode,
    analyzers: Vec<Option<TextAnalyzer>>,
}

impl Dispatch {
    pub fn new(mode: Mode) -> Dispatch {
        Dispatch {
            mode,
            analyzers: vec![None; languages::LANGUAGES.len()],
        }
    }
}

impl Tokenizer for Dispatch {
    type TokenStream<'a> = BoxTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BoxTokenStream<'a> {
        let (lang, text) = untag(text).unwrap_or((default_language(), text));
        let mode = self.mode;
        self.analyzers[lang.index()]
            .get_or_insert_with(|| analyzer(lang, mode))
            .token_stream(text)
    }
}

static DEFAULT_LANGUAGE: OnceLock<Lang> = OnceLock::new();

/// Sets the language of articles whose language is neither sent nor detected with
/// confidence (`[analysis] default_language`). Process-wide, like the analyzers it feeds;
/// the first call wins, and English applies until one is made.
pub fn set_default_language(lang: Lang) -> bool {
    DEFAULT_LANGUAGE.set(lang).is_ok() || DEFAULT_LANGUAGE.get() == Some(&lang)
}

/// The language of articles whose language is neither sent nor detected with confidence.
pub fn default_language() -> Lang {
    DEFAULT_LANGUAGE.get().copied().unwrap_or(Lang::ENGLISH)
}

/// What an index's terms and vectors depend on besides its schema: the default language (of
/// articles in no language found), how Japanese words are cut, and the embedding model. An
/// index built with another is rebuilt at start (see `index::reindex`).
pub fn identity() -> String {
    let japanese = if japanese::loaded() {
        "ipadic"
    } else {
        "scripts"
    };
    // The embedding model makes the stored vectors: another model, another index.
    format!(
        "default_language={} japanese={japanese} vectors={}",
        default_language().code(),
        crate::embed::VECTORS
    )
}

/// The language a text is analysed in: as sent, else detected, else the default.
pub fn language_of(sent: Option<&str>, title: &str, summary: &str, body: &str) -> Lang {
    sent.map(Lang::of_tag)
        .or_else(|| detect(title, summary, body).map(|(code, _)| Lang::of_tag(code)))
        .unwrap_or_else(default_language)
}

/// The script a query is written in (its most common), `None` for digits and punctuation.
pub fn script_of(text: &str) -> Option<Script> {
    let mut counts = [0usize; 12];
    let all = [
        Script::Latin,
        Script::Cyrillic,
        Script::Greek,
        Script::Arabic,
        Script::Hebrew,
        Script::Han,
        Script::Kana,
        Script::Hangul,
        Script::Tamil,
        Script::Devanagari,
        Script::Armenian,
        Script::Other,
    ];
    let mut kana = false;
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        let s = char_script(c);
        kana |= s == Script::Kana;
        counts[all.iter().position(|&x| x == s).unwrap_or(11)] += 1;
    }
    let (i, &n) = counts.iter().enumerate().max_by_key(|&(_, n)| *n)?;
    if n == 0 {
        return None;
    }
    // Japanese mixes kanji and kana: any kana makes Han text Japanese.
    Some(if all[i] == Script::Han && kana {
        Script::Kana
    } else {
        all[i]
    })
}

fn char_script(c: char) -> Script {
    match c as u32 {
        0x0041..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
        0x0370..=0x03FF | 0x1F00..=0x1FFF => Script::Greek,
        0x0400..=0x052F => Script::Cyrillic,
        0x0530..=0x058F => Script::Armenian,
        0x0590..=0x05FF => Script::Hebrew,
        0x0600..=0x06FF | 0x0750..=0x077F | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => Script::Arabic,
        0x0900..=0x097F => Script::Devanagari,
        0x0B80..=0x0BFF => Script::Tamil,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => Script::Kana,
        0x3005 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F => {
            Script::Han
        }
        0xFF21..=0xFF3A | 0xFF41..=0xFF5A => Script::Latin,
        _ => Script::Other,
    }
}

/// The languages a query is analysed in, one per distinct analysis: those asked for when
/// there are any; else those of the index (`present`) written in the query's script; else the
/// usual language of that script (the default language for Latin).
pub fn query_languages(q: &str, asked: &[Lang], present: &[Lang]) -> Vec<Lang> {
    let mut out: Vec<Lang> = Vec::new();
    let push = |l: Lang, out: &mut Vec<Lang>| {
        if !out.iter().any(|o| o.query_key() == l.query_key()) {
            out.push(l);
        }
    };
    if !asked.is_empty() {
        for &l in asked {
            push(l, &mut out);
        }
        return out;
    }
    let Some(script) = script_of(q) else {
        push(default_language(), &mut out);
        return out;
    };
    let fits = |l: Lang| {
        let s = l.rules().script;
        s == script
            || (script == Script::Han && s == Script::Kana)
            || (script == Script::Kana && s == Script::Han)
    };
    let mut present: Vec<Lang> = present.to_vec();
    // The default language first, so that its analysis is the one kept among equals.
    present.sort_by_key(|&l| l != default_language());
    // Languages of the query's own script first: their rules are kept among equals.
    for exact in [true, false] {
        for &l in &present {
            if fits(l) && (l.rules().script == script) == exact {
                push(l, &mut out);
            }
        }
    }
    if out.is_empty() {
        let usual = match script {
            Script::Han => Lang::from_tag("zh"),
            Script::Kana => Lang::from_tag("ja"),
            Script::Hangul => Lang::from_tag("ko"),
            Script::Cyrillic => Lang::from_tag("ru"),
            Script::Greek => Lang::from_tag("el"),
            Script::Arabic => Lang::from_tag("ar"),
            Script::Hebrew => Lang::from_tag("he"),
            Script::Tamil => Lang::from_tag("ta"),
            Script::Devanagari => Lang::from_tag("hi"),
            Script::Armenian => Lang::from_tag("hy"),
            Script::Latin if default_language().rules().script == Script::Latin => {
                Some(default_language())
            }
            Script::Latin => Some(Lang::ENGLISH),
            Script::Other => Some(Lang::GENERIC),
        };
        push(usual.unwrap_or(Lang::GENERIC), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(lang: &str, mode: Mode, text: &str) -> Vec<String> {
        let mut a = analyzer(Lang::of_tag(lang), mode);
        let mut s = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = tantivy::tokenizer::TokenStream::next(&mut s) {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn english_analysis_is_unchanged() {
        use tantivy::tokenizer::{
            LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TokenStream,
        };
        let text = "Zürich's économistes said GDP rose; PACTS were running. 東京";
        let mut old = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(tantivy::tokenizer::Language::English))
            .build();
        let mut s = old.token_stream(&text[..text.len() - 7]);
        let mut expected = Vec::new();
        while let Some(t) = s.next() {
            expected.push(t.text.clone());
        }
        let got = terms("en", Mode::Index, text);
        assert_eq!(got[..expected.len()], expected[..]);
        assert_eq!(got[expected.len()..], ["東", "東京", "京"]);
    }

    #[test]
    fn each_language_stems_and_folds_by_its_rules() {
        assert_eq!(
            terms("de", Mode::Index, "Häuser"),
            terms("de", Mode::Query, "hauser")
        );
        assert_eq!(
            terms("fr", Mode::Index, "société"),
            terms("fr", Mode::Query, "societe")
        );
        assert_eq!(terms("ru", Mode::Index, "президента"), ["президент"]);
        assert_eq!(terms("ru", Mode::Index, "президенту"), ["президент"]);
        // Swedish and Vietnamese keep their letters.
        assert_ne!(
            terms("sv", Mode::Index, "år"),
            terms("sv", Mode::Index, "ar")
        );
        assert_eq!(terms("vi", Mode::Index, "Kéo dài"), ["kéo", "dài"]);
        // Word lists are not stemmed.
        assert_eq!(terms("de", Mode::Words, "Häuser"), ["hauser"]);
    }

    #[test]
    fn tagged_text_is_analysed_by_its_language() {
        let mut d = TextAnalyzer::from(Dispatch::new(Mode::Index));
        let ru = tagged(Lang::of_tag("ru"), "президента");
        let mut s = d.token_stream(&ru);
        let t = tantivy::tokenizer::TokenStream::next(&mut s).map(|t| t.text.clone());
        assert_eq!(t.as_deref(), Some("президент"));
        drop(s);
        // Untagged text: the default language (English).
        let mut s = d.token_stream("running");
        let t = tantivy::tokenizer::TokenStream::next(&mut s).map(|t| t.text.clone());
        assert_eq!(t.as_deref(), Some("run"));
    }

    #[test]
    fn a_query_is_analysed_in_the_languages_it_may_be_in() {
        let l = |c: &str| Lang::of_tag(c);
        let codes = |v: Vec<Lang>| v.into_iter().map(Lang::code).collect::<Vec<_>>();
        let present = [l("en"), l("de"), l("zh"), l("ja"), l("ru")];
        assert_eq!(
            codes(query_languages("Häuser", &[], &present)),
            ["en", "de"]
        );
        assert_eq!(codes(query_languages("外交部", &[], &present)), ["zh"]);
        assert_eq!(codes(query_languages("東京で", &[], &present)), ["ja"]);
        assert_eq!(codes(query_languages("Москва", &[], &present)), ["ru"]);
        assert_eq!(codes(query_languages("서울", &[], &present)), ["ko"]);
        assert_eq!(
            codes(query_languages("Häuser", &[l("de")], &present)),
            ["de"]
        );
        assert_eq!(codes(query_languages("2024", &[], &present)), ["en"]);
    }
}
