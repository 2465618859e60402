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
    detect_in(&text, true)
}

/// [`detect`] of the text it reads; `refuse_early` refuses Latin-script text without enough
/// function words of any language before whatlang runs (the tests check that this changes no
/// answer).
fn detect_in(text: &str, refuse_early: bool) -> Option<(&'static str, f64)> {
    // Most articles of a site are in its own language, and whatlang's trigrams are the dearest
    // step of ingest (a quarter of loading the demo corpus): text where the default
    // language's function words are an eighth of the words is taken for it without them.
    let default = super::default_language().code();
    let words = word_count(text);
    let counts = function_word_counts(text);
    let own = listed(default).map_or(0, |i| counts[i]);
    if own >= 5 && own * 8 >= words {
        return Some((default, own as f64 / words as f64));
    }
    let evidence = Evidence {
        words,
        vietnamese_letters: vietnamese_letters(text),
    };
    // Every Latin-script language whatlang may name has a list, and its answer is taken only
    // with enough of that list's words; text in Latin letters with too few function words of
    // every language (tables of figures, a third of Reuters-21578) is refused without the
    // trigrams, as it would be after them.
    if refuse_early
        && latin_letters_only(text)
        && !FUNCTION_WORDS
            .iter()
            .zip(&counts)
            .any(|((code, _), &found)| evidence.enough(code, found))
    {
        return None;
    }
    let info = detector().detect(text)?;
    let code = iso639_1(info.lang().code())?;
    if info.confidence() < MIN_CONFIDENCE {
        return None;
    }
    let theirs = listed(code).map_or(0, |i| counts[i]);
    if !evidence.enough(code, theirs) {
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

/// Whether `text` has enough function words of `code` ([`Evidence::enough`] without the
/// letters).
#[cfg(test)]
fn has_function_words(code: &str, text: &str) -> bool {
    let found = listed(code).map_or(0, |i| function_word_counts(text)[i]);
    let evidence = Evidence {
        words: word_count(text),
        vietnamese_letters: 0,
    };
    evidence.enough(code, found)
}

/// What a text shows of a Latin-script language besides whatlang's trigrams.
struct Evidence {
    /// Words of the text.
    words: usize,
    /// Its letters that only Vietnamese writes ([`vietnamese_letters`]).
    vietnamese_letters: usize,
}

impl Evidence {
    /// Whether `found` function words of `code` are enough, or, for Vietnamese, its letters.
    fn enough(&self, code: &str, found: usize) -> bool {
        // A two-sentence Vietnamese story can hold one function word of the list, but every
        // other word of it carries a letter no other language writes; an English story
        // quoting a Vietnamese name has a few of them among many words.
        if code == "vi" && self.vietnamese_letters >= 3 && self.vietnamese_letters * 4 >= self.words
        {
            return true;
        }
        enough_function_words(code, found, self.words)
    }
}

/// Letters that only Vietnamese writes: ơ and ư, and the vowels with a dot below or a hook
/// above, alone or with another mark (Latin Extended Additional, U+1EA0 to U+1EF9).
fn vietnamese_letters(text: &str) -> usize {
    if text.is_ascii() {
        return 0;
    }
    text.chars()
        .filter(|c| {
            matches!(
                c,
                '\u{1A0}' | '\u{1A1}' | '\u{1AF}' | '\u{1B0}' | '\u{1EA0}'..='\u{1EF9}'
            )
        })
        .count()
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
    super::tokenizer::alphanumeric_runs(text).count()
}

/// The position of `code`'s list in [`FUNCTION_WORDS`].
fn listed(code: &str) -> Option<usize> {
    FUNCTION_WORDS.iter().position(|(c, _)| *c == code)
}

/// For each list of [`FUNCTION_WORDS`], in order, how many words of `text` are on it: one
/// pass over the words, each looked up once among the words of every list.
fn function_word_counts(text: &str) -> Vec<usize> {
    // A word to the lists that hold it, as bits of their positions.
    type Lists = std::collections::HashMap<&'static str, u32, ahash::RandomState>;
    static LISTS_OF: std::sync::OnceLock<Lists> = std::sync::OnceLock::new();
    let lists_of = LISTS_OF.get_or_init(|| {
        assert!(FUNCTION_WORDS.len() <= 32, "a list's bit in a u32");
        let mut map = Lists::default();
        for (i, (_, words)) in FUNCTION_WORDS.iter().enumerate() {
            for w in *words {
                *map.entry(*w).or_insert(0u32) |= 1 << i;
            }
        }
        map
    });
    let mut counts = vec![0; FUNCTION_WORDS.len()];
    let mut lower = String::new();
    for word in super::tokenizer::alphanumeric_runs(text).filter(|w| w.len() <= 8) {
        // The lists are lower case.
        if let Some(&lists) = lists_of.get(super::tokenizer::lowercased(word, &mut lower)) {
            let mut bits = lists;
            while bits != 0 {
                counts[bits.trailing_zeros() as usize] += 1;
                bits &= bits - 1;
            }
        }
    }
    counts
}

/// Whether every letter of `text` is a Latin one (ASCII, Latin-1, Latin Extended A and B,
/// Latin Extended Additional): whatlang then picks among the Latin-script languages only.
fn latin_letters_only(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_ascii()
            || !c.is_alphabetic()
            || ('\u{00C0}'..='\u{024F}').contains(&c)
            || ('\u{1E00}'..='\u{1EFF}').contains(&c)
    })
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

    /// A short Vietnamese story with one listed function word among 30 words was refused as
    /// a table of figures would be, and analysed by the default language's rules.
    #[test]
    fn short_vietnamese_news_is_detected_by_its_letters() {
        let t = "Ngân hàng Nhà nước giảm lãi suất điều hành";
        let b = "Ngân hàng Nhà nước Việt Nam quyết định giảm lãi suất điều hành 0,5 điểm phần trăm nhằm hỗ trợ doanh nghiệp và nền kinh tế.";
        assert!(!has_function_words("vi", &format!("{t}\n{b}")));
        assert_eq!(detect(t, "", b).map(|d| d.0), Some("vi"));
        // A few Vietnamese names in English text are not Vietnamese text.
        let en = "Prime Minister Nguyễn Xuân Phúc met Trần Đại Quang in Hà Nội on Monday to discuss the budget, trade with the region and the year's growth.";
        assert_eq!(detect("Leaders meet", "", en).map(|d| d.0), Some("en"));
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

    /// Texts to check detection on, each with the code of the treebank it comes from (`None`
    /// for Reuters-21578): every 4th Reuters article (English prose, tables of figures, one
    /// French story; its title and the body's first [`MAX_CHARS`] characters), and every 3rd
    /// sentence of the UD treebanks of seven languages, alone and in pairs.
    fn sample_texts() -> Vec<(Option<String>, String)> {
        use std::io::Read;
        let read_gz = |path: &str| {
            let mut text = String::new();
            flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            text
        };
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
        let mut texts: Vec<(Option<String>, String)> =
            read_gz(&format!("{data}/reuters21578.ndjson.gz"))
                .lines()
                .step_by(4)
                .map(|line| {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    let field =
                        |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                    let body = field("body");
                    let cut = body
                        .char_indices()
                        .nth(MAX_CHARS)
                        .map_or(body.len(), |(i, _)| i);
                    (None, format!("{}\n\n{}", field("title"), &body[..cut]))
                })
                .collect();
        for entry in std::fs::read_dir(format!("{data}/ud")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".conllu.gz") {
                continue;
            }
            let code = name.split('_').next().map(str::to_string);
            let ud = read_gz(&path.to_string_lossy());
            let sentences: Vec<&str> = ud
                .lines()
                .filter_map(|l| l.strip_prefix("# text = "))
                .step_by(3)
                .collect();
            texts.extend(sentences.iter().map(|s| (code.clone(), s.to_string())));
            texts.extend(sentences.chunks(2).map(|p| (code.clone(), p.join(" "))));
        }
        texts
    }

    /// Refusing text without function words before whatlang runs gives whatlang's answers.
    #[test]
    fn refusing_early_changes_no_answer() {
        let texts = sample_texts();
        let reuters = texts.iter().filter(|(code, _)| code.is_none()).count();
        assert!(
            reuters > 5_000 && texts.len() > reuters + 2_500,
            "{}",
            texts.len()
        );
        let (mut refused, mut differ) = (0, Vec::new());
        for (code, text) in &texts {
            let early = detect_in(text, true);
            // Tables of figures in Reuters-21578.
            refused += usize::from(early.is_none() && code.is_none());
            if early != detect_in(text, false) {
                differ.push(text);
            }
        }
        assert!(
            differ.is_empty(),
            "{} differ: {:?}",
            differ.len(),
            &differ[..differ.len().min(3)]
        );
        assert!(refused > 800, "{refused} refused");
    }

    /// Vietnamese sentences of the UD treebank are taken for Vietnamese, and nothing else is:
    /// 562 of its 563 sampled sentences alone or in pairs, against 499 with the function words
    /// alone as the evidence.
    #[test]
    fn vietnamese_is_found_and_nothing_else_is_taken_for_it() {
        let (mut vietnamese, mut found, mut mistaken) = (0, 0, Vec::new());
        for (code, text) in sample_texts() {
            let is_vi = detect_in(&text, true).is_some_and(|(c, _)| c == "vi");
            if code.as_deref() == Some("vi") {
                vietnamese += 1;
                found += usize::from(is_vi);
            } else if is_vi {
                mistaken.push(text);
            }
        }
        eprintln!("{found} of {vietnamese} Vietnamese texts found");
        assert!(mistaken.is_empty(), "{mistaken:?}");
        assert!(vietnamese > 300, "{vietnamese}");
        assert!(found * 100 >= vietnamese * 95, "{found} of {vietnamese}");
    }

    #[test]
    fn too_little_text_is_not_guessed() {
        assert_eq!(detect("OK", "", ""), None);
        assert_eq!(detect("", "", "12 34"), None);
    }
}
