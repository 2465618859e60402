//! The languages newsindex analyses, and what each one's analysis is made of.
//!
//! One table says it all: the Snowball stemmer of the language (if any), whether its readers
//! expect accents to be folded away (French and Spanish readers type `ete` for `été`; a Swede
//! does not type `ar` for `år`, a Vietnamese reader does not type `ma` for `mà`), the script it
//! is written in, and how its words are cut. A language that is not in the table is analysed
//! with the generic rules (Unicode words, NFKC and lower case, nothing stemmed or folded).

use frostem::Algorithm;

/// How a language's text is cut into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segmentation {
    /// Words are separated by spaces and punctuation.
    Spaces,
    /// Chinese: no spaces; words from jieba's dictionary where a word list is wanted.
    Chinese,
    /// Japanese: no spaces; no dictionary ships in the registries we reach, so words are runs
    /// of one script (kanji, katakana) where a word list is wanted.
    Japanese,
    /// Korean: spaces between phrases (eojeol) that carry particles: `서울에서` is `서울` + `에서`.
    Korean,
    /// Vietnamese: spaces between syllables; a word is often two or three syllables, so a
    /// query's syllables are also matched as a phrase.
    Vietnamese,
}

/// The main script of a language, which decides the candidate languages of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Cyrillic,
    Greek,
    Arabic,
    Hebrew,
    Han,
    Kana,
    Hangul,
    Tamil,
    Devanagari,
    Armenian,
    /// Any other script.
    Other,
}

/// Extra normalization a language needs before stemming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Normalizer {
    None,
    /// Letter variants and diacritics (harakat, tatweel; alef forms, teh marbuta, alef maksura),
    /// as Lucene's Arabic normalizer does.
    Arabic,
    /// Points (niqqud, cantillation) removed.
    Hebrew,
    /// `ё` is written `е` in most text.
    Russian,
    /// Accents (tonos, dialytika) removed: Greek readers search without them and the Snowball
    /// stemmer expects unaccented letters.
    Greek,
}

/// One language's analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LanguageRules {
    /// ISO 639-1 code.
    pub code: &'static str,
    /// English name (for docs and messages).
    pub name: &'static str,
    pub stemmer: Option<Algorithm>,
    /// Accents folded to ASCII before stemming (so that `societe` and `société` stem alike).
    pub fold: bool,
    pub script: Script,
    pub segmentation: Segmentation,
    pub normalizer: Normalizer,
}

const fn rules(
    code: &'static str,
    name: &'static str,
    stemmer: Option<Algorithm>,
    fold: bool,
    script: Script,
) -> LanguageRules {
    LanguageRules {
        code,
        name,
        stemmer,
        fold,
        script,
        segmentation: Segmentation::Spaces,
        normalizer: Normalizer::None,
    }
}

use Script::*;

/// Every language with rules of its own. Index 0 is the generic rules.
pub static LANGUAGES: &[LanguageRules] = &[
    rules("und", "other", None, false, Other),
    rules("en", "English", Some(Algorithm::English), true, Latin),
    LanguageRules {
        normalizer: Normalizer::Arabic,
        ..rules("ar", "Arabic", Some(Algorithm::Arabic), false, Arabic)
    },
    rules("ca", "Catalan", Some(Algorithm::Catalan), true, Latin),
    rules("cs", "Czech", Some(Algorithm::Czech), false, Latin),
    rules("da", "Danish", Some(Algorithm::Danish), false, Latin),
    rules("de", "German", Some(Algorithm::German), true, Latin),
    LanguageRules {
        normalizer: Normalizer::Greek,
        ..rules("el", "Greek", Some(Algorithm::Greek), false, Greek)
    },
    rules("es", "Spanish", Some(Algorithm::Spanish), true, Latin),
    rules("et", "Estonian", Some(Algorithm::Estonian), false, Latin),
    rules("eu", "Basque", Some(Algorithm::Basque), false, Latin),
    LanguageRules {
        normalizer: Normalizer::Arabic,
        ..rules("fa", "Persian", Some(Algorithm::Persian), false, Arabic)
    },
    rules("fi", "Finnish", Some(Algorithm::Finnish), false, Latin),
    rules("fr", "French", Some(Algorithm::French), true, Latin),
    rules("ga", "Irish", Some(Algorithm::Irish), false, Latin),
    LanguageRules {
        normalizer: Normalizer::Hebrew,
        ..rules("he", "Hebrew", None, false, Hebrew)
    },
    rules("hi", "Hindi", Some(Algorithm::Hindi), false, Devanagari),
    rules("hu", "Hungarian", Some(Algorithm::Hungarian), false, Latin),
    rules("hy", "Armenian", Some(Algorithm::Armenian), false, Armenian),
    rules(
        "id",
        "Indonesian",
        Some(Algorithm::Indonesian),
        false,
        Latin,
    ),
    rules("it", "Italian", Some(Algorithm::Italian), true, Latin),
    LanguageRules {
        segmentation: Segmentation::Japanese,
        ..rules("ja", "Japanese", None, false, Kana)
    },
    LanguageRules {
        segmentation: Segmentation::Korean,
        ..rules("ko", "Korean", None, false, Hangul)
    },
    rules(
        "lt",
        "Lithuanian",
        Some(Algorithm::Lithuanian),
        false,
        Latin,
    ),
    rules("ne", "Nepali", Some(Algorithm::Nepali), false, Devanagari),
    rules("nl", "Dutch", Some(Algorithm::Dutch), true, Latin),
    rules("no", "Norwegian", Some(Algorithm::Norwegian), false, Latin),
    rules("pl", "Polish", Some(Algorithm::Polish), false, Latin),
    rules("pt", "Portuguese", Some(Algorithm::Portuguese), true, Latin),
    rules("ro", "Romanian", Some(Algorithm::Romanian), true, Latin),
    LanguageRules {
        normalizer: Normalizer::Russian,
        ..rules("ru", "Russian", Some(Algorithm::Russian), false, Cyrillic)
    },
    rules("sr", "Serbian", Some(Algorithm::Serbian), false, Cyrillic),
    rules("sv", "Swedish", Some(Algorithm::Swedish), false, Latin),
    rules("ta", "Tamil", Some(Algorithm::Tamil), false, Tamil),
    rules("tr", "Turkish", Some(Algorithm::Turkish), false, Latin),
    LanguageRules {
        segmentation: Segmentation::Vietnamese,
        ..rules("vi", "Vietnamese", None, false, Latin)
    },
    rules("yi", "Yiddish", Some(Algorithm::Yiddish), false, Hebrew),
    LanguageRules {
        segmentation: Segmentation::Chinese,
        ..rules("zh", "Chinese", None, false, Han)
    },
];

/// A language newsindex knows how to analyse: an index into [`LANGUAGES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lang(u8);

impl Lang {
    /// The generic rules, for a language without rules of its own.
    pub const GENERIC: Lang = Lang(0);
    /// English.
    pub const ENGLISH: Lang = Lang(1);

    /// The analysis of a BCP 47 tag (`pt-BR`, `zh-Hant`, `en_US`) or ISO 639 code (`deu`): its
    /// primary subtag, with the old and macro-language codes mapped (`iw` → `he`, `nb` → `no`).
    /// `None` for a tag of a language without rules of its own.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        let code = match primary.as_str() {
            "nb" | "nn" | "nob" | "nno" | "nor" => "no",
            "iw" | "heb" => "he",
            "in" | "ind" => "id",
            "cmn" | "zho" | "chi" | "yue" | "wuu" => "zh",
            "eng" => "en",
            "deu" | "ger" => "de",
            "fra" | "fre" => "fr",
            "rus" => "ru",
            "jpn" => "ja",
            "kor" => "ko",
            "vie" => "vi",
            "spa" => "es",
            "por" => "pt",
            "ita" => "it",
            "ara" => "ar",
            "pes" | "fas" | "per" => "fa",
            other => other,
        };
        LANGUAGES
            .iter()
            .position(|l| l.code == code)
            .filter(|&i| i > 0)
            .map(|i| Lang(i as u8))
    }

    /// The analysis of a tag, the generic rules when it has none of its own.
    /// A language tag as received (`pt-BR`, `zh`), lowercased, if it has the shape of a BCP 47
    /// tag: ASCII letters, digits and hyphens (or underscores), at most 35 characters, starting
    /// with a letter. A well-formed tag of a language without rules of its own is accepted (its
    /// articles get the generic rules); the message says what was expected.
    pub fn check_tag(raw: &str) -> Result<String, String> {
        let tag = raw.trim().to_ascii_lowercase();
        let well_formed = !tag.is_empty()
            && tag.len() <= 35
            && tag.starts_with(|c: char| c.is_ascii_alphabetic())
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if well_formed {
            Ok(tag)
        } else {
            Err(format!(
                "expected a language code such as `en` or `pt-BR`, got `{}`",
                crate::error::truncate_for_message(raw)
            ))
        }
    }

    pub fn of_tag(tag: &str) -> Lang {
        Lang::from_tag(tag).unwrap_or(Lang::GENERIC)
    }

    /// Its place in [`LANGUAGES`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Its rules.
    pub fn rules(self) -> &'static LanguageRules {
        &LANGUAGES[self.0 as usize]
    }

    /// Its code (`und` for the generic rules).
    pub fn code(self) -> &'static str {
        self.rules().code
    }

    /// Every language with rules of its own.
    pub fn all() -> impl Iterator<Item = Lang> {
        (1..LANGUAGES.len()).map(|i| Lang(i as u8))
    }

    /// Whether its words are written without spaces (or with particles attached) and cut
    /// into overlapping character pairs in the text fields.
    pub fn is_cjk(self) -> bool {
        matches!(
            self.rules().segmentation,
            Segmentation::Chinese | Segmentation::Japanese | Segmentation::Korean
        )
    }

    /// Languages whose text-field analysis is the same give the same query: one of them is
    /// enough to search for all (Chinese and Japanese text fields are both character pairs).
    pub fn query_key(self) -> (Option<Algorithm>, bool, Normalizer, bool, bool) {
        let r = self.rules();
        (
            r.stemmer,
            r.fold,
            r.normalizer,
            self.is_cjk(),
            r.segmentation == Segmentation::Korean,
        )
    }
}

impl Default for Lang {
    /// The default language ([`super::default_language`]).
    fn default() -> Lang {
        super::default_language()
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_map_to_their_language() {
        assert_eq!(Lang::from_tag("pt-BR").map(Lang::code), Some("pt"));
        assert_eq!(Lang::from_tag("zh-Hant-TW").map(Lang::code), Some("zh"));
        assert_eq!(Lang::from_tag("en_US").map(Lang::code), Some("en"));
        assert_eq!(Lang::from_tag("nb").map(Lang::code), Some("no"));
        assert_eq!(Lang::from_tag("iw").map(Lang::code), Some("he"));
        assert_eq!(Lang::from_tag("deu").map(Lang::code), Some("de"));
        assert_eq!(Lang::from_tag("xx"), None);
        assert_eq!(Lang::from_tag("und"), None);
        assert_eq!(Lang::of_tag("xx"), Lang::GENERIC);
        assert_eq!(Lang::ENGLISH.code(), "en");
    }

    #[test]
    fn every_code_is_listed_once() {
        let mut codes: Vec<&str> = LANGUAGES.iter().map(|l| l.code).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n);
        for lang in Lang::all() {
            assert_eq!(Lang::from_tag(lang.code()), Some(lang));
        }
    }
}
