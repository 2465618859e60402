//! Snippets with `<mark>…</mark>` around the matched words. tantivy's snippet generator marks
//! stemmed matches (it reads the text with the field's analyzer) and HTML-escapes the article
//! text, so snippets are safe to put in a page.

use tantivy::query::Query;
use tantivy::snippet::SnippetGenerator;
use tantivy::Searcher;

use crate::article::Article;
use crate::index::Fields;

/// Longest body snippet, in characters.
const BODY_SNIPPET_CHARS: usize = 200;

/// Snippet generators for title and body, built once per search.
pub struct Highlighter {
    title: Option<SnippetGenerator>,
    body: Option<SnippetGenerator>,
}

/// The snippets of one hit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Snippets {
    /// The whole title, escaped, matches marked.
    pub title: String,
    /// The best passage of the body (or of the summary when the body has no match).
    pub body: String,
}

impl Highlighter {
    /// Prepares generators for the terms of `query`.
    pub fn new(searcher: &Searcher, query: &dyn Query, fields: &Fields) -> Highlighter {
        let make = |field, chars| {
            SnippetGenerator::create(searcher, query, field)
                .ok()
                .map(|mut g| {
                    g.set_max_num_chars(chars);
                    g
                })
        };
        Highlighter {
            title: make(fields.title, 1_000),
            body: make(fields.body, BODY_SNIPPET_CHARS),
        }
    }

    /// Snippets of an article.
    pub fn snippets(&self, article: &Article) -> Snippets {
        let title = match &self.title {
            Some(g) => {
                let mut s = g.snippet(&article.title);
                if s.is_empty() {
                    escape(&article.title)
                } else {
                    s.set_snippet_prefix_postfix("<mark>", "</mark>");
                    // The generator returns a fragment; a title is short enough to show whole.
                    if s.fragment().len() == article.title.len() {
                        s.to_html()
                    } else {
                        whole_title(&article.title, &s)
                    }
                }
            }
            None => escape(&article.title),
        };
        let body_text = article
            .body
            .as_deref()
            .or(article.summary.as_deref())
            .unwrap_or("");
        let body = match &self.body {
            Some(g) => {
                let mut s = g.snippet(body_text);
                if s.is_empty() {
                    escape(&lead(body_text))
                } else {
                    s.set_snippet_prefix_postfix("<mark>", "</mark>");
                    s.to_html()
                }
            }
            None => escape(&lead(body_text)),
        };
        Snippets { title, body }
    }
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
