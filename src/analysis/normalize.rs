//! Token normalization: Unicode NFKC and lower case for every script (full-width `ＡＢＣ` is
//! `abc`, the ligature `ﬁ` is `fi`, half-width katakana is full-width), then what one
//! language needs before its stemmer (see [`Normalizer`]).

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

use super::languages::Normalizer;

/// NFKC, lower case and the language's own normalization.
#[derive(Clone)]
pub struct Normalize(pub Normalizer);

impl TokenFilter for Normalize {
    type Tokenizer<T: Tokenizer> = NormalizeFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> NormalizeFilter<T> {
        NormalizeFilter {
            inner: tokenizer,
            normalizer: self.0,
        }
    }
}

#[derive(Clone)]
pub struct NormalizeFilter<T> {
    inner: T,
    normalizer: Normalizer,
}

impl<T: Tokenizer> Tokenizer for NormalizeFilter<T> {
    type TokenStream<'a> = NormalizeStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        NormalizeStream {
            tail: self.inner.token_stream(text),
            normalizer: self.normalizer,
            buffer: String::new(),
        }
    }
}

pub struct NormalizeStream<T> {
    tail: T,
    normalizer: Normalizer,
    buffer: String,
}

impl<T: TokenStream> TokenStream for NormalizeStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.is_ascii() {
            token.text.make_ascii_lowercase();
            return true;
        }
        normalize_into(&token.text, self.normalizer, &mut self.buffer);
        std::mem::swap(&mut token.text, &mut self.buffer);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// `text` normalized into `out` (cleared first).
pub fn normalize_into(text: &str, normalizer: Normalizer, out: &mut String) {
    out.clear();
    for c in text.nfkc() {
        if c.is_lowercase() || !c.is_alphabetic() {
            push_normalized(c, normalizer, out);
        } else {
            for l in c.to_lowercase() {
                push_normalized(l, normalizer, out);
            }
        }
    }
    if normalizer == Normalizer::Greek {
        // Final sigma is lowercased by context in running text, not per character.
        if out.ends_with('σ') {
            out.pop();
            out.push('ς');
        }
    }
}

fn push_normalized(c: char, normalizer: Normalizer, out: &mut String) {
    match normalizer {
        Normalizer::None => out.push(c),
        Normalizer::Arabic => match c {
            // Harakat, superscript alef and tatweel carry no letters.
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => {}
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            _ => out.push(c),
        },
        Normalizer::Hebrew => match c {
            '\u{0591}'..='\u{05C7}'
                if !matches!(c, '\u{05BE}' | '\u{05C0}' | '\u{05C3}' | '\u{05C6}') => {}
            _ => out.push(c),
        },
        Normalizer::Russian => match c {
            'ё' => out.push('е'),
            _ => out.push(c),
        },
        Normalizer::Greek => {
            // Decompose to drop tonos and dialytika, keep the letter.
            for d in std::iter::once(c).nfd() {
                if !matches!(d, '\u{0301}' | '\u{0308}' | '\u{0344}') {
                    out.push(d);
                }
            }
        }
    }
}

/// `text` normalized as tokens of `normalizer`'s language are.
pub fn normalized(text: &str, normalizer: Normalizer) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::new();
    normalize_into(text, normalizer, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_and_case_for_every_script() {
        assert_eq!(normalized("ＡＢＣ ﬁne", Normalizer::None), "abc fine");
        assert_eq!(normalized("ＰＵＴＩＮ", Normalizer::None), "putin");
        assert_eq!(normalized("ﾃﾚﾋﾞ", Normalizer::None), "テレビ");
        assert_eq!(normalized("Москва", Normalizer::None), "москва");
        assert_eq!(normalized("Ёлка", Normalizer::Russian), "елка");
    }

    #[test]
    fn arabic_hebrew_and_greek_letters_and_points() {
        // Alef with hamza, harakat and tatweel, teh marbuta.
        assert_eq!(normalized("أَحْمَد", Normalizer::Arabic), "احمد");
        assert_eq!(normalized("مدرســة", Normalizer::Arabic), "مدرسه");
        assert_eq!(normalized("שָׁלוֹם", Normalizer::Hebrew), "שלום");
        assert_eq!(normalized("Αθήνα", Normalizer::Greek), "αθηνα");
        assert_eq!(normalized("ΟΔΟΣ", Normalizer::Greek), "οδος");
    }
}
