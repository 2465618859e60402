//! One HTML article page → one article.
//!
//! Metadata, most trusted first: schema.org JSON-LD (`NewsArticle`, `Article`, `BlogPosting`,
//! also inside `@graph`), then OpenGraph and `article:*` meta tags, then `<meta name=…>`, then
//! `<title>` and the first `<h1>`. The text is a readability-style extraction: boilerplate
//! elements are left out ([`textify::is_boilerplate`]), the `<article>` with the most paragraph
//! text is preferred, else the element whose paragraphs hold the most text.
//!
//! The id, unless given: a slug of the canonical URL (`<link rel=canonical>`, else `og:url`,
//! else the JSON-LD `url`), else of the title.

use std::collections::HashMap;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use super::textify::{self, element_text, in_boilerplate};
use super::{
    collapse, non_blank, parse_loose_date, push_unique, resolve_url, slug, url_slug, Hints,
};
use crate::article::ArticleInput;

/// Converts a page. An `Err` only when the page yields no title at all.
pub fn convert(html: &str, hints: &Hints) -> Result<ArticleInput, String> {
    if textify::too_deep(html) {
        return Err(format!(
            "the page nests elements deeper than {} levels",
            textify::MAX_DEPTH
        ));
    }
    if textify::too_many_attributes(html) {
        return Err(format!(
            "a tag of the page has more than {} attributes",
            textify::MAX_ATTRIBUTES
        ));
    }
    let doc = Html::parse_document(html);
    let ld = json_ld(&doc);
    let meta = Meta::read(&doc);

    let mut input = ArticleInput::default();

    // Title.
    let title = ld
        .as_ref()
        .and_then(|a| str_of(a.get("headline")).or_else(|| str_of(a.get("name"))))
        .or_else(|| meta.first(&["og:title", "twitter:title"]))
        .or_else(|| first_text(&doc, "title"))
        .or_else(|| first_text(&doc, "h1"))
        .map(|t| textify::inline_text(&t))
        .and_then(non_blank);
    let Some(title) = title else {
        return Err(
            "the page has no title (no JSON-LD headline, og:title, <title> or <h1>)".into(),
        );
    };

    // URL: canonical, og:url, JSON-LD url, the caller's.
    let canonical = select_attr(&doc, r#"link[rel~="canonical"]"#, "href");
    let url = canonical
        .or_else(|| meta.first(&["og:url"]))
        .or_else(|| ld.as_ref().and_then(|a| str_of(a.get("url"))))
        .or_else(|| {
            ld.as_ref()
                .and_then(|a| a.get("mainEntityOfPage"))
                .and_then(|m| str_of(Some(m)).or_else(|| str_of(m.get("@id"))))
        })
        .and_then(|u| resolve_url(&u, hints.url.as_deref()))
        .or_else(|| hints.url.clone());

    input.id = hints
        .id
        .clone()
        .or_else(|| url.as_deref().and_then(url_slug))
        .or_else(|| slug(&title));

    // Authors: JSON-LD, else article:author (names, not profile URLs), else meta author.
    let mut authors = Vec::new();
    if let Some(a) = &ld {
        for name in ld_names(a.get("author"), &ld_index(&doc)) {
            push_unique(&mut authors, &name);
        }
    }
    if authors.is_empty() {
        for name in meta.all("article:author") {
            if !name.contains("://") && !name.starts_with("www.") {
                push_unique(&mut authors, &name);
            }
        }
    }
    if authors.is_empty() {
        for name in meta.all("author") {
            for part in name.split([',', ';']) {
                push_unique(&mut authors, part.trim().trim_start_matches("By ").trim());
            }
        }
    }
    if !authors.is_empty() {
        input.authors = Some(Value::from(authors));
    }

    // Date: an unreadable one is left out rather than losing the page.
    input.published_at = ld
        .as_ref()
        .and_then(|a| str_of(a.get("datePublished")))
        .and_then(|d| parse_loose_date(&d))
        .or_else(|| {
            meta.all("article:published_time")
                .into_iter()
                .chain(meta.all("datePublished"))
                .chain(meta.all("date"))
                .chain(meta.all("pubdate"))
                .chain(meta.all("dc.date"))
                .find_map(|d| parse_loose_date(&d))
        })
        .or_else(|| {
            select_attr(&doc, "time[datetime]", "datetime").and_then(|d| parse_loose_date(&d))
        });

    // Tags: keywords, then the section as a tag.
    let mut tags = Vec::new();
    if let Some(a) = &ld {
        for k in str_list(a.get("keywords")) {
            push_unique(&mut tags, &k);
        }
    }
    if tags.is_empty() {
        for k in meta.all("article:tag") {
            push_unique(&mut tags, &k);
        }
    }
    if tags.is_empty() {
        for k in meta
            .all("keywords")
            .into_iter()
            .chain(meta.all("news_keywords"))
        {
            for part in k.split(',') {
                push_unique(&mut tags, part);
            }
        }
    }
    let sections = ld
        .as_ref()
        .map(|a| str_list(a.get("articleSection")))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| meta.all("article:section"));
    for s in sections {
        push_unique(&mut tags, &s);
    }
    tags.retain(|t| crate::article::normalize_tag(t).is_some());
    if !tags.is_empty() {
        input.tags = Some(tags);
    }

    let summary = ld
        .as_ref()
        .and_then(|a| str_of(a.get("description")))
        .or_else(|| meta.first(&["og:description", "description", "twitter:description"]))
        .map(|s| textify::inline_text(&s))
        .and_then(non_blank);

    let mut body = main_text(&doc);
    // The headline repeated in the text (an h1 inside the article, a caption) is not text.
    body = body
        .split("\n\n")
        .filter(|p| !collapse(p).eq_ignore_ascii_case(&title))
        .collect::<Vec<_>>()
        .join("\n\n");

    input.language = ld
        .as_ref()
        .and_then(|a| str_of(a.get("inLanguage")))
        .or_else(|| select_attr(&doc, "html[lang]", "lang"))
        .or_else(|| meta.first(&["og:locale"]))
        .map(|l| l.replace('_', "-"))
        .filter(|l| {
            l.len() <= 35
                && !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    input.language_source = input
        .language
        .as_ref()
        .map(|_| crate::article::LanguageSource::Page);
    input.source = ld
        .as_ref()
        .and_then(|a| a.get("publisher"))
        .and_then(|p| str_of(p.get("name")).or_else(|| str_of(Some(p))))
        .or_else(|| meta.first(&["og:site_name", "application-name"]))
        .and_then(non_blank);
    input.title = Some(title);
    input.summary = summary;
    input.body = non_blank(body);
    input.url = url;
    Ok(input)
}

/// The article's text: the `<article>` with the most paragraph text when it has some, else
/// the element whose own paragraphs hold the most text, else the whole body.
fn main_text(doc: &Html) -> String {
    /// `<article>`s compared; a listing page with more is read by its paragraphs.
    const MAX_CANDIDATES: usize = 50;
    let p_sel = sel("p");
    let paragraph_text = |el: &ElementRef<'_>| -> usize {
        el.select(&p_sel)
            .filter(|p| !in_boilerplate(p))
            .map(|p| p.text().map(str::len).sum::<usize>())
            .sum()
    };
    let article = doc
        .select(&sel("article, [itemprop~=articleBody], main"))
        .take(MAX_CANDIDATES)
        .filter(|a| !in_boilerplate(a))
        .map(|a| (paragraph_text(&a), a))
        .filter(|(n, _)| *n >= 80)
        .max_by_key(|(n, _)| *n)
        .map(|(_, a)| a);
    if let Some(a) = article {
        return element_text(a);
    }
    // Score each paragraph's parent by the text it holds, half of it to the grandparent.
    let mut scores: HashMap<_, (usize, ElementRef<'_>)> = HashMap::new();
    for p in doc.select(&p_sel) {
        if in_boilerplate(&p) {
            continue;
        }
        let n: usize = p.text().map(str::len).sum();
        let mut up = p.ancestors().filter_map(ElementRef::wrap);
        if let Some(parent) = up.next() {
            scores.entry(parent.id()).or_insert((0, parent)).0 += n * 2;
            if let Some(grand) = up.next() {
                scores.entry(grand.id()).or_insert((0, grand)).0 += n;
            }
        }
    }
    if let Some((_, el)) = scores.into_values().max_by_key(|(n, _)| *n) {
        return element_text(el);
    }
    doc.select(&sel("body"))
        .next()
        .map(element_text)
        .unwrap_or_default()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("a valid selector")
}

fn select_attr(doc: &Html, selector: &str, attr: &str) -> Option<String> {
    doc.select(&sel(selector))
        .filter_map(|e| e.value().attr(attr))
        .find_map(non_blank)
}

fn first_text(doc: &Html, selector: &str) -> Option<String> {
    doc.select(&sel(selector))
        .map(|e| collapse(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// `<meta property|name|itemprop=K content=V>`, keys lower case, values in page order.
struct Meta(HashMap<String, Vec<String>>);

impl Meta {
    fn read(doc: &Html) -> Meta {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for m in doc.select(&sel("meta[content]")) {
            let e = m.value();
            let Some(content) = e.attr("content").and_then(non_blank) else {
                continue;
            };
            for key in [e.attr("property"), e.attr("name"), e.attr("itemprop")]
                .into_iter()
                .flatten()
            {
                map.entry(key.trim().to_ascii_lowercase())
                    .or_default()
                    .push(content.clone());
            }
        }
        Meta(map)
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .get(&key.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    fn first(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.all(k).into_iter().next())
    }
}

/// Every JSON-LD object of the page, `@graph` members included.
fn ld_objects(doc: &Html) -> Vec<Value> {
    fn collect(v: Value, out: &mut Vec<Value>) {
        match v {
            Value::Array(items) => items.into_iter().for_each(|i| collect(i, out)),
            Value::Object(mut map) => {
                if let Some(graph) = map.remove("@graph") {
                    collect(graph, out);
                }
                if !map.is_empty() {
                    out.push(Value::Object(map));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for script in doc.select(&sel(r#"script[type="application/ld+json"]"#)) {
        let raw: String = script.text().collect();
        // Some CMSs wrap the JSON in an HTML comment or CDATA.
        let raw = raw
            .trim()
            .trim_start_matches("<!--")
            .trim_end_matches("-->")
            .trim()
            .trim_start_matches("//<![CDATA[")
            .trim_end_matches("//]]>");
        if let Ok(v) = serde_json::from_str::<Value>(raw) {
            collect(v, &mut out);
        }
    }
    out
}

/// The page's article object: a `NewsArticle` (or another news type) first, else any
/// `…Article` or `BlogPosting`.
fn json_ld(doc: &Html) -> Option<Value> {
    let objects = ld_objects(doc);
    let types = |o: &Value| -> Vec<String> { str_list(o.get("@type")) };
    let is_news = |o: &&Value| types(o).iter().any(|t| t.ends_with("NewsArticle"));
    let is_article = |o: &&Value| {
        types(o)
            .iter()
            .any(|t| t.ends_with("Article") || t == "BlogPosting" || t == "LiveBlogPosting")
    };
    objects
        .iter()
        .find(is_news)
        .or_else(|| objects.iter().find(is_article))
        .cloned()
}

/// `@id` → `name` of the page's JSON-LD nodes, for authors given by reference (Yoast).
fn ld_index(doc: &Html) -> HashMap<String, String> {
    ld_objects(doc)
        .into_iter()
        .filter_map(|o| Some((str_of(o.get("@id"))?, str_of(o.get("name"))?)))
        .collect()
}

/// Names from a string, an object with `name` (or an `@id` reference), or a list of these.
fn ld_names(v: Option<&Value>, index: &HashMap<String, String>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s
            .split([',', ';'])
            .filter_map(non_blank)
            .filter(|s| !s.contains("://"))
            .collect(),
        Some(Value::Object(o)) => str_of(o.get("name"))
            .or_else(|| str_of(o.get("@id")).and_then(|id| index.get(&id).cloned()))
            .into_iter()
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .flat_map(|i| ld_names(Some(i), index))
            .collect(),
        _ => Vec::new(),
    }
}

/// A string value (a number as its text), trimmed and non-empty.
fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => non_blank(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of strings from a comma-separated string or a list.
fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split(',').filter_map(non_blank).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(|i| str_of(Some(i))).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(head: &str, body: &str) -> String {
        format!("<!doctype html><html lang=\"en\"><head>{head}</head><body>{body}</body></html>")
    }

    const TEXT: &str = "<p>China maintains silence on the new defense pact between Russia and North Korea, raising concerns.</p><p>Second paragraph with more words in it than the menu has.</p>";

    #[test]
    fn json_ld_graph_wins_over_open_graph() {
        let head = r##"
            <meta property="og:title" content="OG title">
            <meta property="article:published_time" content="2020-01-01T00:00:00Z">
            <link rel="canonical" href="https://www.example.org/world/beijing-stance/">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"WebPage","@id":"https://www.example.org/world/beijing-stance/","name":"Page"},
              {"@type":["NewsArticle"],"headline":"Beijing&#8217;s Cautious Stance","author":{"@id":"#p1"},
               "datePublished":"2024-06-22T05:03:00+00:00","keywords":["defense","Asia"],
               "articleSection":"World","description":"China maintains silence."},
              {"@type":"Person","@id":"#p1","name":"Ashlee Durgan"}]}</script>"##;
        let a = convert(&page(head, TEXT), &Hints::default()).unwrap();
        assert_eq!(a.title.as_deref(), Some("Beijing\u{2019}s Cautious Stance"));
        assert_eq!(
            a.id.as_deref(),
            Some("www-example-org-world-beijing-stance")
        );
        assert_eq!(a.authors, Some(serde_json::json!(["Ashlee Durgan"])));
        assert_eq!(a.published_at.as_deref(), Some("2024-06-22T05:03:00Z"));
        assert_eq!(
            a.tags,
            Some(vec!["defense".into(), "Asia".into(), "World".into()])
        );
        assert_eq!(a.summary.as_deref(), Some("China maintains silence."));
        assert_eq!(a.language.as_deref(), Some("en"));
        assert!(a
            .body
            .unwrap()
            .starts_with("China maintains silence on the new"));
    }

    #[test]
    fn open_graph_only() {
        let head = r##"<meta property="og:title" content="OG title">
            <meta property="og:url" content="https://example.org/a?id=7&utm_source=rss">
            <meta property="article:author" content="https://facebook.com/someone">
            <meta name="author" content="Jane Roe">
            <meta property="article:tag" content="politics"><meta property="article:tag" content="asia">
            <meta property="article:section" content="World">
            <meta property="article:published_time" content="2024-06-22T05:03:00+0700">"##;
        let a = convert(&page(head, TEXT), &Hints::default()).unwrap();
        assert_eq!(a.title.as_deref(), Some("OG title"));
        assert_eq!(a.id.as_deref(), Some("example-org-a-id-7"));
        assert_eq!(
            a.url.as_deref(),
            Some("https://example.org/a?id=7&utm_source=rss")
        );
        assert_eq!(a.authors, Some(serde_json::json!(["Jane Roe"])));
        assert_eq!(a.published_at.as_deref(), Some("2024-06-21T22:03:00Z"));
        assert_eq!(
            a.tags,
            Some(vec!["politics".into(), "asia".into(), "World".into()])
        );
    }

    #[test]
    fn main_text_without_boilerplate() {
        let body = format!(
            r##"<nav><p>Home News Sport and a long list of menu entries that goes on</p></nav>
            <div class="wrap"><h1>Headline</h1>{TEXT}
            <div class="share-buttons"><p>Share this on every network you know about today</p></div>
            <section class="related-posts"><p>Another story that is related and long enough</p></section></div>
            <div id="comments"><p>First! This comment is long enough to look like a paragraph.</p></div>
            <footer><p>Copyright</p></footer>"##
        );
        let a = convert(&page("<title>Headline</title>", &body), &Hints::default()).unwrap();
        assert_eq!(a.title.as_deref(), Some("Headline"));
        assert_eq!(
            a.body.as_deref(),
            Some("China maintains silence on the new defense pact between Russia and North Korea, raising concerns.\n\nSecond paragraph with more words in it than the menu has.")
        );
    }

    #[test]
    fn hints_and_fallbacks() {
        let hints = Hints {
            id: None,
            url: Some("https://example.org/news/x.html".into()),
        };
        let a = convert(
            &page(
                "<link rel=canonical href=\"/news/y\">",
                "<h1>Only A Heading</h1>",
            ),
            &hints,
        )
        .unwrap();
        assert_eq!(a.url.as_deref(), Some("https://example.org/news/y"));
        assert_eq!(a.id.as_deref(), Some("example-org-news-y"));
        let a = convert(&page("", "<h1>Only A Heading</h1>"), &Hints::default()).unwrap();
        assert_eq!(a.id.as_deref(), Some("only-a-heading"));
        assert!(convert(&page("", "<p>no title</p>"), &Hints::default()).is_err());
        // Truncated pages still parse.
        let a = convert(
            "<html><head><title>Cut</title></head><body><article><p>Half a sent",
            &Hints::default(),
        )
        .unwrap();
        assert_eq!(a.body.as_deref(), Some("Half a sent"));
    }
}
