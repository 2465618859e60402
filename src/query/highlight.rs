//! Snippets with `<mark>…</mark>` around the matched words. tantivy's snippet generator marks
//! stemmed matches (it reads the text with the field's analyzer) and HTML-escapes the article
//! text, so snippets are safe to put in a page.

use std::collections::BTreeMap;

use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Score, Searcher, Term};

use super::typo::{within_edits, TypoWord};
use crate::analysis::Lang;
use crate::article::Article;
use crate::index::document::analysis_language;
use crate::index::schema::{text_analyzer, words_analyzer};
use crate::index::Fields;

/// Longest body snippet, in characters.
const BODY_SNIPPET_CHARS: usize = 200;

/// Snippet generators for title and body, built once per search.
///
/// The terms to mark are the query's own (stems, so `pacts` marks `pact`) plus, per article,
/// the words of its text that matched a query word through a typo: tantivy's generator only
/// knows the terms of term queries, not what a fuzzy query matched, so those are found here.
/// The generators read the text by the rules of the query's first language; an article in
/// another language gets generators of its own.
pub struct Highlighter {
    lang: Lang,
    title_terms: BTreeMap<String, Score>,
    body_terms: BTreeMap<String, Score>,
    title: SnippetGenerator,
    body: SnippetGenerator,
    fields: Fields,
    typos: Vec<TypoWord>,
}

/// The snippets of one hit.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Snippets {
    /// The whole title, escaped, matches marked.
    pub title: String,
    /// The best passage of the body (or of the summary when the body has no match).
    pub body: String,
}

impl Highlighter {
    /// Prepares generators for the terms of `query` and the typo words.
    pub fn new(
        searcher: &Searcher,
        query: &dyn Query,
        fields: &Fields,
        typos: Vec<TypoWord>,
        lang: Lang,
    ) -> Highlighter {
        let title_terms = query_terms(searcher, query, fields.title);
        let body_terms = query_terms(searcher, query, fields.body);
        Highlighter {
            lang,
            title: generator(title_terms.clone(), fields.title, TITLE_CHARS, lang),
            body: generator(body_terms.clone(), fields.body, BODY_SNIPPET_CHARS, lang),
            title_terms,
            body_terms,
            fields: *fields,
            typos,
        }
    }

    /// Snippets of an article.
    pub fn snippets(&self, article: &Article) -> Snippets {
        let body_text = article
            .body
            .as_deref()
            .or(article.summary.as_deref())
            .unwrap_or("");
        let lang = analysis_language(article);
        let typo_gens = (!self.typos.is_empty() || lang != self.lang).then(|| {
            (
                self.with_typos(
                    &self.title_terms,
                    &article.title,
                    self.fields.title,
                    TITLE_CHARS,
                    lang,
                ),
                self.with_typos(
                    &self.body_terms,
                    body_text,
                    self.fields.body,
                    BODY_SNIPPET_CHARS,
                    lang,
                ),
            )
        });
        let (title_gen, body_gen) = typo_gens
            .as_ref()
            .map_or((&self.title, &self.body), |(t, b)| (t, b));
        let mut s = title_gen.snippet(&article.title);
        let title = if s.is_empty() {
            escape(&article.title)
        } else {
            s.set_snippet_prefix_postfix("<mark>", "</mark>");
            // The generator returns a fragment; a title is short enough to show whole.
            if s.fragment().len() == article.title.len() {
                s.to_html()
            } else {
                whole_title(&article.title, &s)
            }
        };
        let mut s = body_gen.snippet(body_text);
        let body = if s.is_empty() {
            escape(&lead(body_text))
        } else {
            s.set_snippet_prefix_postfix("<mark>", "</mark>");
            s.to_html()
        };
        Snippets { title, body }
    }

    /// A generator for an article in `lang` that also marks the words of `text` that matched
    /// a typo word.
    fn with_typos(
        &self,
        base: &BTreeMap<String, Score>,
        text: &str,
        field: Field,
        chars: usize,
        lang: Lang,
    ) -> SnippetGenerator {
        let mut terms = base.clone();
        if self.typos.is_empty() {
            return generator(terms, field, chars, lang);
        }
        let mut words = words_analyzer(lang);
        let mut stemmer = text_analyzer(lang);
        let mut stream = words.token_stream(text);
        while stream.advance() {
            let token = &stream.token().text;
            if self
                .typos
                .iter()
                .any(|t| within_edits(&t.word, token, t.distance))
            {
                let mut stems = stemmer.token_stream(token);
                while stems.advance() {
                    terms.entry(stems.token().text.clone()).or_insert(1.0);
                }
            }
        }
        generator(terms, field, chars, lang)
    }
}

/// Longest title snippet, in characters (titles are shown whole).
const TITLE_CHARS: usize = 1_000;

fn generator(
    terms: BTreeMap<String, Score>,
    field: Field,
    chars: usize,
    lang: Lang,
) -> SnippetGenerator {
    SnippetGenerator::new(terms, text_analyzer(lang), field, chars)
}

/// The query's terms on `field`, weighted by rarity so the best passage is the one with the
/// rarest words.
fn query_terms(searcher: &Searcher, query: &dyn Query, field: Field) -> BTreeMap<String, Score> {
    let n = searcher.num_docs().max(1) as f32;
    let mut terms = BTreeMap::new();
    query.query_terms(&mut |term: &Term, _| {
        if term.field() == field {
            if let Some(text) = term.value().as_str() {
                let df = searcher.doc_freq(term).unwrap_or(0) as f32;
                terms.insert(text.to_string(), 1.0 + (n / (df + 1.0)).ln().max(0.0));
            }
        }
    });
    terms
}

/// Marks the highlighted ranges of a fragment on the whole title.
fn whole_title(title: &str, s: &tantivy::snippet::Snippet) -> String {
    let offset = s.fragment_range().start;
    let mut out = String::new();
    let mut pos = 0;
    for r in s.highlighted() {
        let (start, end) = (r.start + offset, r.end + offset);
        if start < pos || end > title.len() {
            continue;
        }
        out.push_str(&escape(&title[pos..start]));
        out.push_str("<mark>");
        out.push_str(&escape(&title[start..end]));
        out.push_str("</mark>");
        pos = end;
    }
    out.push_str(&escape(&title[pos..]));
    out
}

/// The first words of a text, cut at a word boundary.
fn lead(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= BODY_SNIPPET_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(BODY_SNIPPET_CHARS).collect();
    match cut.rfind(char::is_whitespace) {
        Some(i) => format!("{}…", cut[..i].trim_end()),
        None => format!("{cut}…"),
    }
}

/// HTML-escapes text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
