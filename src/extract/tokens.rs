//! One-pass tokeniser: words with byte spans and what separates each word from
//! the previous one. Everything downstream works on these slices, so the text
//! is scanned once and no per-token string is allocated.

/// What lies between a token and the one before it. Phrase building only joins
/// tokens separated by `Space`; the other kinds end a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gap {
    /// Whitespace only, at most one line break (wire copy is hard-wrapped).
    Space,
    /// A bare hyphen: "Russia-North", "Coca-Cola".
    Hyphen,
    /// A comma (kept apart because an appositive role may follow it).
    Comma,
    /// Any other punctuation, or a paragraph break.
    Break,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    /// The word, without a trailing possessive `'s`.
    pub text: &'a str,
    pub start: usize,
    pub gap: Gap,
    /// First word of a sentence, paragraph or heading: its capital letter is
    /// no evidence of a proper noun.
    pub sentence_start: bool,
}

impl Token<'_> {
    pub fn is_capitalised(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }

    pub fn is_lowercase_word(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_lowercase)
    }

    /// Two or more letters and no lower-case letter: "NATO", "BAHIA".
    pub fn is_all_caps(&self) -> bool {
        let mut letters = 0;
        for c in self.text.chars() {
            if c.is_lowercase() {
                return false;
            }
            if c.is_alphabetic() {
                letters += 1;
            }
        }
        letters >= 2
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Abbreviations after which a full stop does not end the sentence or the name.
fn is_title_abbrev(word: &str) -> bool {
    matches!(
        word,
        "Mr" | "Mrs"
            | "Ms"
            | "Dr"
            | "St"
            | "Sen"
            | "Rep"
            | "Gov"
            | "Gen"
            | "Col"
            | "Lt"
            | "Sgt"
            | "Prof"
            | "Jr"
            | "Sr"
            | "Messrs"
            | "Capt"
            | "Adm"
            | "Maj"
            | "Rev"
            | "Mt"
    ) || (word.len() == 1 && word.as_bytes()[0].is_ascii_uppercase())
}

/// Splits `text` into word tokens, appending to `out`.
pub(crate) fn tokenize<'a>(text: &'a str, out: &mut Vec<Token<'a>>) {
    let mut i = 0;
    let mut prev_end = 0;
    let mut prev_word: Option<&str> = None;
    while i < text.len() {
        let c = text[i..].chars().next().expect("i is on a char boundary");
        if !is_word_char(c) {
            i += c.len_utf8();
            continue;
        }
        if crate::analysis::tokenizer::is_cjk(c) {
            // Chinese and Japanese write words without spaces: each character is a token,
            // so that a name inside a sentence (俄罗斯 in 注意到俄罗斯与朝鲜) starts on one.
            let (start, end) = (i, i + c.len_utf8());
            let (gap, mut sentence_start) = classify_gap(&text[prev_end..start], prev_word);
            if prev_word.is_none() {
                sentence_start = true;
            }
            out.push(Token {
                text: &text[start..end],
                start,
                gap,
                sentence_start,
            });
            prev_word = Some(&text[start..end]);
            prev_end = end;
            i = end;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut possessive_end = None;
        let mut segment_len = 0usize;
        let mut dotted = false;
        let mut j = i;
        while j < text.len() {
            let c = text[j..].chars().next().expect("j is on a char boundary");
            if is_word_char(c) && !crate::analysis::tokenizer::is_cjk(c) {
                j += c.len_utf8();
                segment_len += 1;
                end = j;
                continue;
            }
            let next = text[j + c.len_utf8()..].chars().next();
            let next_is_word = next.is_some_and(is_word_char);
            if is_apostrophe(c) && next_is_word {
                // "Beijing's" -> "Beijing"; "O'Neill" stays whole.
                let after = j + c.len_utf8();
                let rest = &text[after..];
                if (rest.starts_with('s') || rest.starts_with('S'))
                    && !rest[1..].chars().next().is_some_and(is_word_char)
                {
                    possessive_end = Some(after + 1);
                    break;
                }
                j = after;
                segment_len = 0;
                continue;
            }
            if c == '.' && segment_len == 1 && (next_is_word || dotted) {
                // "U.S.", "U.N.": single letters joined by dots form one word.
                dotted = true;
                j += 1;
                end = j;
                segment_len = 0;
                if !next_is_word {
                    break;
                }
                continue;
            }
            if c == '&' && next_is_word {
                j += 1;
                segment_len = 0;
                continue;
            }
            break;
        }
        let word = &text[start..end];
        let between = &text[prev_end..start];
        let (gap, mut sentence_start) = classify_gap(between, prev_word);
        if prev_word.is_none() {
            sentence_start = true;
        }
        out.push(Token {
            text: word,
            start,
            gap,
            sentence_start,
        });
        prev_word = Some(word);
        prev_end = possessive_end.unwrap_or(end);
        i = prev_end.max(end);
    }
}

fn classify_gap(between: &str, prev_word: Option<&str>) -> (Gap, bool) {
    if between.is_empty() {
        return (Gap::Space, false);
    }
    if between == "-" {
        return (Gap::Hyphen, false);
    }
    let mut newlines = 0;
    let mut indent_after_newline = false;
    let mut comma = false;
    let mut other = false;
    let mut full_stop = false;
    let mut after_newline = false;
    for c in between.chars() {
        match c {
            '\n' => {
                newlines += 1;
                after_newline = true;
                continue;
            }
            ' ' | '\t' | '\r' => {
                if after_newline && c != '\r' {
                    indent_after_newline = true;
                }
            }
            ',' => comma = true,
            '.' | '!' | '?' => {
                full_stop = true;
                other = true;
            }
            c if c.is_whitespace() => {}
            _ => other = true,
        }
        after_newline = false;
    }
    let paragraph = newlines >= 2 || indent_after_newline;
    if full_stop && !other_than_stop(between) && prev_word.is_some_and(is_title_abbrev) {
        // "Mr. Smith", "John F. Kennedy": the stop belongs to the abbreviation.
        return (if paragraph { Gap::Break } else { Gap::Space }, false);
    }
    if other || paragraph {
        (Gap::Break, true)
    } else if comma {
        (Gap::Comma, false)
    } else {
        (Gap::Space, false)
    }
}

/// True when `between` holds punctuation other than one full stop.
fn other_than_stop(between: &str) -> bool {
    between
        .chars()
        .filter(|c| !c.is_whitespace())
        .ne(std::iter::once('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Token<'_>> {
        let mut v = Vec::new();
        tokenize(text, &mut v);
        v
    }

    #[test]
    fn possessive_dotted_and_hyphen() {
        let t = toks("Beijing's U.S. Russia-North Korea AT&T O'Neill.");
        let words: Vec<&str> = t.iter().map(|t| t.text).collect();
        assert_eq!(
            words,
            ["Beijing", "U.S.", "Russia", "North", "Korea", "AT&T", "O'Neill"]
        );
        assert_eq!(t[3].gap, Gap::Hyphen);
        assert_eq!(t[1].gap, Gap::Space);
    }

    #[test]
    fn sentence_starts() {
        let t = toks("He left. Experts said Mr. Smith, a banker, agreed.\n\nThe end");
        let starts: Vec<&str> = t
            .iter()
            .filter(|t| t.sentence_start)
            .map(|t| t.text)
            .collect();
        assert_eq!(starts, ["He", "Experts", "The"]);
        let smith = t.iter().find(|t| t.text == "Smith").expect("Smith");
        assert_eq!(smith.gap, Gap::Space);
    }
}
