//! Snowball stemming (the implementation tantivy's own `Stemmer` wraps, `frostem`), with the
//! stems it has computed remembered.
//!
//! A news corpus repeats the same few thousand words, and Snowball stemming is the dearest
//! step of the analyzer: a sixth of tantivy's indexing threads on a bulk load. Each analyzer
//! instance (tantivy keeps one per field and indexing thread) keeps a bounded map from word
//! to stem; the stems are those of `tantivy::tokenizer::Stemmer`, so the index does not
//! change.

use std::collections::HashMap;

use ahash::RandomState;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered per analyzer instance before it starts over: about 2 MB, enough for the
/// working vocabulary of news text.
const MAX_CACHED: usize = 30_000;

/// Stemming with a cache; `CachedStemmer(Algorithm::English)` is a drop-in for
/// `Stemmer::new(Language::English)`.
#[derive(Clone)]
pub struct CachedStemmer(pub frostem::Algorithm);

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner: tokenizer,
            algorithm: self.0,
            cache: HashMap::default(),
        }
    }
}

/// The tokenizer with stemming appended.
#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    inner: T,
    algorithm: frostem::Algorithm,
    cache: HashMap<String, String, RandomState>,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            cache: &mut self.cache,
            stemmer: frostem::Stemmer::new(self.algorithm),
        }
    }
}

/// Tokens of the inner stream, stemmed.
pub struct CachedStemmerStream<'a, T> {
    tail: T,
    cache: &'a mut HashMap<String, String, RandomState>,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.cache.get(&token.text) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem = self.stemmer.stem(&token.text).into_owned();
        if self.cache.len() >= MAX_CACHED {
            self.cache.clear();
        }
        let word = std::mem::replace(&mut token.text, stem.clone());
        self.cache.insert(word, stem);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn stems_like_tantivys_stemmer_including_repeated_words() {
        let text = "Running runners ran; the running economies' ponies running. \
                    Generously generous generalization, organizations organized.";
        let mut cached = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(CachedStemmer(frostem::Algorithm::English))
            .build();
        let mut plain = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build();
        let expected = tokens(&mut plain, text);
        assert!(expected.contains(&"run".to_string()));
        // Twice through the same instance: the second pass is served from the cache.
        assert_eq!(tokens(&mut cached, text), expected);
        assert_eq!(tokens(&mut cached, text), expected);
    }
}
