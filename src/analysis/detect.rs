//! An article's language from its text, when neither the sender nor the page says it: whatlang
//! (trigram profiles of 69 languages, scripts first), taken only when it is confident.

/// Below this confidence a detection is not taken and the default language applies. whatlang
/// calls 0.9 "reliable"; short news texts (a headline and a lead) in a clear language score
/// 0.5-1.0, mixed or very short ones less.
pub const MIN_CONFIDENCE: f64 = 0.5;

/// Characters of the body read for detection: a few paragraphs decide, and the cost of
/// whatlang grows with the text.
const MAX_CHARS: usize = 600;

/// The detected language of a text (BCP 47 primary subtag, `de`) and the detector's
/// confidence, if it is at least [`MIN_CONFIDENCE`].
pub fn detect(title: &str, summary: &str, body: &str) -> Option<(&'static str, f64)> {
    let mut text = String::with_capacity(title.len() + summary.len() + MAX_CHARS + 2);
    text.push_str(title);
    text.push('\n');
    text.push_str(summary);
    text.push('\n');
    let cut = body
        .char_indices()
        .nth(MAX_CHARS)
        .map_or(body.len(), |(i, _)| i);
    text.push_str(&body[..cut]);
    // Most articles of a site are in its own language, and whatlang's trigrams are the dearest
    // step of ingest (a quarter of loading the demo corpus): text where the default
    // language's function words are an eighth of the words is taken for it without them.
    let default = super::default_language().code();
    let words = word_count(&text);
    let own = function_words(default, &text);
    if own >= 5 && own * 8 >= words {
        return Some((default, own as f64 / words as f64));
    }
    let info = detector().detect(&text)?;
    let code = iso639_1(info.lang().code())?;
    if info.confidence() < MIN_CONFIDENCE {
        return None;
    }
    // Counted once, for both checks below.
    let theirs = function_words(code, &text);
    if !enough_function_words(code, theirs, words) {
        return None;
    }
    // The site's own language wins a close call: an English story recombined from wire copy
    // is taken for Danish or French by its trigrams, while it has more English function words.
    if code != default && own >= theirs.max(1) {
        return Some((default, info.confidence()));
    }
    Some((code, info.confidence()))
}

/// Function words that running text in a Latin-script language cannot do without.
const FUNCTION_WORDS: &[(&str, &[&str])] = &[
    (
        "ca",
        &[
            "el", "la", "els", "les", "de", "i", "que", "en", "un", "una", "per", "amb", "del",
            "és",
        ],
    ),
    (
        "cs",
        &[
            "a", "v", "se", "na", "je", "že", "s", "z", "to", "do", "jako", "byl",
        ],
    ),
    (
        "da",
        &[
            "og", "i", "det", "at", "en", "er", "på", "for", "med", "af", "ikke", "til", "den",
            "som",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "nicht", "den", "dem", "ein", "eine", "zu", "mit",
            "von", "sich", "auf", "für", "im",
        ],
    ),
    (
        "en",
        &[
            "the", "of", "and", "to", "in", "is", "that", "for", "it", "was", "on", "with", "said",
            "by", "a",
        ],
    ),
    (
        "es",
        &[
            "el", "la", "los", "las", "de", "y", "que", "en", "un", "una", "por", "con", "para",
            "del", "se", "es",
        ],
    ),
    (
        "et",
        &[
            "ja", "on", "ei", "et", "see", "oli", "ka", "kui", "mis", "aga",
        ],
    ),
    (
        "eu",
        &["eta", "da", "ez", "bat", "ere", "du", "dira", "zen"],
    ),
    (
        "fi",
        &[
            "ja", "on", "ei", "se", "että", "oli", "hän", "mutta", "kun", "tai", "myös",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "de", "des", "et", "est", "du", "un", "une", "pour", "dans", "que",
            "qui", "sur", "au", "pas",
        ],
    ),
    (
        "ga",
        &["agus", "an", "na", "is", "ar", "le", "go", "sa", "i"],
    ),
    (
        "hu",
        &[
            "a", "az", "és", "hogy", "nem", "is", "egy", "van", "meg", "de",
        ],
    ),
    (
        "id",
        &[
            "yang", "dan", "di", "ke", "dari", "ini", "itu", "untuk", "dengan", "tidak",
        ],
    ),
    (
        "it",
        &[
            "il", "la", "di", "e", "che", "un", "una", "per", "con", "del", "della", "non", "è",
            "sono", "in",
        ],
    ),
    ("lt", &["ir", "kad", "į", "su", "yra", "buvo", "iš", "tai"]),
    (
        "nl",
        &[
            "de", "het", "een", "en", "van", "is", "dat", "op", "te", "niet", "met", "voor", "zijn",
        ],
    ),
    (
        "no",
        &[
            "og", "i", "det", "som", "en", "er", "på", "for", "med", "av", "ikke", "til", "den",
            "å",
        ],
    ),
    (
        "pl",
        &[
            "i", "w", "na", "z", "że", "się", "nie", "do", "jest", "to", "o",
        ],
    ),
    (
        "pt",
        &[
            "o", "a", "os", "as", "de", "e", "que", "em", "um", "uma", "para", "com", "do", "da",
            "não", "no", "na",
        ],
    ),
    (
        "ro",
        &[
            "și", "în", "de", "la", "cu", "un", "o", "care", "pe", "nu", "este", "din", "pentru",
        ],
    ),
    (
        "sv",
        &[
            "och", "att", "det", "som", "en", "är", "på", "för", "med", "av", "inte", "till", "den",
        ],
    ),
    (
        "tr",
        &[
            "ve", "bir", "bu", "da", "de", "için", "ile", "olarak", "çok", "daha",
        ],
    ),
    (
        "vi",
        &[
            "và", "của", "là", "có", "được", "trong", "cho", "những", "một", "các", "người",
            "không", "với", "tại", "đã", "này", "về", "từ", "theo", "khi",
        ],
    ),
];

/// [`enough_function_words`] of `text`.
#[cfg(test)]
fn has_function_words(code: &str, text: &str) -> bool {
    enough_function_words(code, function_words(code, text), word_count(text))
}

/// Whether `found` function words of `code` among `words` are enough: at least two (one in a
/// text of fewer than 15 words), for the Latin-script languages that have a list; others
/// pass. whatlang's trigrams take tables of figures and abbreviations (`Shr loss 14 cts vs loss
/// 21 cts`) for French or Catalan with full confidence: 2% of Reuters-21578's English
/// articles, none of which has two French function words.
fn enough_function_words(code: &str, found: usize, words: usize) -> bool {
    if !FUNCTION_WORDS.iter().any(|(c, _)| *c == code) {
        return true;
    }
    found >= 2 || (found >= 1 && words < 15)
}

/// Words of `text`: runs of letters and digits.
fn word_count(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
}

/// How many words of `text` are function words of `code` (0 for a language without a list).
fn function_words(code: &str, text: &str) -> usize {
    let Some((_, words)) = FUNCTION_WORDS.iter().find(|(c, _)| *c == code) else {
        return 0;
    };
    let mut lower = String::new();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.len() <= 8)
        .filter(|w| {
            // The lists are lower case: an ASCII word is compared as it is, without a copy.
            if w.is_ascii() {
                return words.iter().any(|f| f.eq_ignore_ascii_case(w));
            }
            lower.clear();
            lower.extend(w.chars().flat_map(char::to_lowercase));
            words.contains(&lower.as_str())
        })
        .count()
}

/// whatlang limited to the languages with rules of their own, and Ukrainian: among the
/// Cyrillic languages whatlang mistakes short Russian news for Bulgarian (0.72 confidence for
/// a headline and two sentences), and a language without rules would be analysed without
/// stemming anyway. A site publishing in another language says so (`language`, or
/// `[analysis] default_language`).
fn detector() -> &'static whatlang::Detector {
    static DETECTOR: std::sync::OnceLock<whatlang::Detector> = std::sync::OnceLock::new();
    DETECTOR.get_or_init(|| {
        let allowed: Vec<whatlang::Lang> = whatlang::Lang::all()
            .iter()
            .copied()
            .filter(|l| {
                let code = iso639_1(l.code());
                code == Some("uk") || code.and_then(super::Lang::from_tag).is_some()
            })
            .collect();
        whatlang::Detector::with_allowlist(allowed)
    })
}

/// whatlang's ISO 639-3 codes as the two-letter codes sites send.
fn iso639_1(code3: &str) -> Option<&'static str> {
    Some(match code3 {
        "afr" => "af",
        "aka" => "ak",
        "amh" => "am",
        "ara" => "ar",
        "aze" => "az",
        "bel" => "be",
        "ben" => "bn",
        "bul" => "bg",
        "cat" => "ca",
        "ces" => "cs",
        "cmn" => "zh",
        "cym" => "cy",
        "dan" => "da",
        "deu" => "de",
        "ell" => "el",
        "eng" => "en",
        "epo" => "eo",
        "est" => "et",
        "fin" => "fi",
        "fra" => "fr",
        "guj" => "gu",
        "heb" => "he",
        "hin" => "hi",
        "hrv" => "hr",
        "hun" => "hu",
        "hye" => "hy",
        "ind" => "id",
        "ita" => "it",
        "jav" => "jv",
        "jpn" => "ja",
        "kan" => "kn",
        "kat" => "ka",
        "khm" => "km",
        "kor" => "ko",
        "lat" => "la",
        "lav" => "lv",
        "lit" => "lt",
        "mal" => "ml",
        "mar" => "mr",
        "mkd" => "mk",
        "mya" => "my",
        "nep" => "ne",
        "nld" => "nl",
        "nob" => "no",
        "ori" => "or",
        "pan" => "pa",
        "pes" => "fa",
        "pol" => "pl",
        "por" => "pt",
        "ron" => "ro",
        "rus" => "ru",
        "sin" => "si",
        "slk" => "sk",
        "slv" => "sl",
        "sna" => "sn",
        "spa" => "es",
        "srp" => "sr",
        "swe" => "sv",
        "tam" => "ta",
        "tel" => "te",
        "tgl" => "tl",
        "tha" => "th",
        "tuk" => "tk",
        "tur" => "tr",
        "ukr" => "uk",
        "urd" => "ur",
        "uzb" => "uz",
        "vie" => "vi",
        "yid" => "yi",
        "zul" => "zu",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_text_is_detected() {
        let code = |t: &str, b: &str| detect(t, "", b).map(|d| d.0);
        assert_eq!(
            code(
                "中国外交部回应俄朝防务协定",
                "外交部发言人在记者会上表示，中方注意到有关报道。"
            ),
            Some("zh")
        );
        assert_eq!(
            code(
                "東京都で新しい条例が成立",
                "東京都議会は本日、新しい条例を可決した。"
            ),
            Some("ja")
        );
        assert_eq!(
            code(
                "Президент подписал указ",
                "Президент России подписал указ о новых мерах поддержки экономики."
            ),
            Some("ru")
        );
        assert_eq!(
            code(
                "Президенту представили новый доклад",
                "Доклад президенту подготовило правительство. В докладе говорится о мерах поддержки экономики."
            ),
            Some("ru")
        );
        assert_eq!(
            code("Bundeskanzler trifft Präsidenten", "Der Bundeskanzler hat am Montag in Berlin den französischen Präsidenten getroffen."),
            Some("de")
        );
        assert_eq!(
            code("Cocoa prices rise", "Cocoa prices rose in London on Monday as traders said supplies from the Ivory Coast were short."),
            Some("en")
        );
    }

    #[test]
    fn vietnamese_news_is_detected() {
        let t = "Hội nghị kéo dài ba ngày";
        let b = "Hội nghị quốc tế tại Hà Nội kéo dài ba ngày với sự tham gia của nhiều đại biểu.";
        let info = detector().detect(&format!("{t}\n\n{b}"));
        assert!(has_function_words("vi", b), "{info:?}");
        assert_eq!(detect(t, "", b).map(|d| d.0), Some("vi"), "{info:?}");
    }

    #[test]
    fn tables_of_figures_are_not_taken_for_a_language() {
        let t = "DAHLBERG INC <DAHL> 4TH QTR NET";
        let b = "Shr profit 10 cts vs loss seven cts\n    Net profit 286,870 vs loss 156,124\n    Revs 10.0 mln vs 7,577,207";
        assert_eq!(detect(t, "", b), None);
        let fr = detect(
            "Le gouvernement annonce un plan",
            "",
            "Le gouvernement a présenté mardi un plan pour les entreprises qui souffrent de la crise.",
        );
        assert_eq!(fr.map(|d| d.0), Some("fr"));
    }

    #[test]
    fn too_little_text_is_not_guessed() {
        assert_eq!(detect("OK", "", ""), None);
        assert_eq!(detect("", "", "12 34"), None);
    }
}
