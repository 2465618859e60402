//! RSS (0.9x, 1.0, 2.0) and Atom feeds → one article per item, by `feed-rs`.
//!
//! Per item: the title; the link as `url` and, slugged, as `id` (else the guid or Atom id, else
//! the title); authors (`author`, `dc:creator`, Atom `<author><name>`); the publication date
//! (else the update date; an unreadable date is left out and the item kept); categories as
//! tags; the content (`content:encoded`, Atom `<content>`) as body with `description` or
//! `<summary>` as summary, or the description as body when there is no content. HTML goes
//! through the same HTML-to-text code as pages. The feed's language and title fill `language`
//! and `source`.

use feed_rs::model::{Entry, Feed, Text};
use serde_json::Value;

use super::textify::{html_to_text, inline_text};
use super::{non_blank, push_unique, slug, url_slug, Hints};
use crate::article::ArticleInput;

/// Converts a feed; a feed that cannot be parsed is one error.
pub fn convert(bytes: &[u8], hints: &Hints) -> Vec<Result<ArticleInput, String>> {
    let parser = feed_rs::parser::Builder::new()
        // No generated ids: an item without link or guid gets a slug of its title instead of a
        // random UUID, so ingesting the same feed twice replaces rather than duplicates.
        .id_generator(|_, _, _| String::new())
        .base_uri(hints.url.as_deref())
        .build();
    let feed = match parser.parse(bytes) {
        Ok(f) => f,
        Err(e) => return vec![Err(format!("cannot parse the feed: {e}"))],
    };
    feed.entries.iter().map(|e| entry(&feed, e)).collect()
}

fn entry(feed: &Feed, e: &Entry) -> Result<ArticleInput, String> {
    let mut input = ArticleInput {
        title: e.title.as_ref().map(text_inline).and_then(non_blank),
        ..ArticleInput::default()
    };

    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(e.links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty());
    let guid = non_blank(&e.id);
    input.id = link
        .as_deref()
        .and_then(url_slug)
        .or_else(|| {
            guid.as_deref()
                .and_then(|g| url_slug(g).or_else(|| slug(g)))
        })
        .or_else(|| input.title.as_deref().and_then(slug));
    input.url = link.or_else(|| guid.filter(|g| g.starts_with("http")));

    let mut authors = Vec::new();
    for p in e.authors.iter().chain(feed_authors(feed, e)) {
        if let Some(name) = p
            .name
            .as_deref()
            .and_then(non_blank)
            .and_then(|n| author_name(&n))
        {
            push_unique(&mut authors, &name);
        }
    }
    if !authors.is_empty() {
        input.authors = Some(Value::from(authors));
    }

    input.published_at = e
        .published
        .or(e.updated)
        .map(|d| crate::article::date::format_datetime(&d));

    let mut tags = Vec::new();
    for c in &e.categories {
        let t = c.label.as_deref().unwrap_or(&c.term);
        push_unique(&mut tags, &inline_text(t));
    }
    tags.retain(|t| crate::article::normalize_tag(t).is_some());
    if !tags.is_empty() {
        input.tags = Some(tags);
    }

    let content = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .map(html_to_text)
        .map(|t| without_feed_furniture(&t))
        .and_then(non_blank);
    let description = e
        .summary
        .as_ref()
        .map(text_block)
        .map(|t| without_feed_furniture(&t))
        .and_then(non_blank);
    match content {
        Some(body) => {
            input.body = Some(body);
            input.summary = description;
        }
        None => input.body = description,
    }
    // A summary that only repeats the start of the body adds nothing.
    if let (Some(s), Some(b)) = (&input.summary, &input.body) {
        if b.starts_with(s.trim_end_matches(['.', '…'])) && s.len() * 2 > b.len() {
            input.summary = None;
        }
    }

    input.language = e
        .language
        .clone()
        .or_else(|| feed.language.clone())
        .map(|l| l.trim().replace('_', "-"))
        .filter(|l| {
            !l.is_empty()
                && l.len() <= 35
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    input.language_source = input
        .language
        .as_ref()
        .map(|_| crate::article::LanguageSource::Page);
    input.source = feed.title.as_ref().map(text_inline).and_then(non_blank);
    Ok(input)
}

/// The person in an RSS `<author>`: `desk@wire.example (Min-ji Park)` is Min-ji Park (RSS
/// 2.0 writes an address and the name in parentheses); a bare address is no name.
fn author_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let (Some(open), true) = (raw.find('('), raw.ends_with(')')) {
        let inner = raw[open + 1..raw.len() - 1].trim();
        if !inner.is_empty() && !inner.contains('@') {
            return Some(inner.to_string());
        }
    }
    (!raw.contains('@'))
        .then(|| raw.trim_matches(['(', ')']).trim().to_string())
        .filter(|n| !n.is_empty())
}

/// The feed's authors stand for an item's when it names none (Atom inheritance).
fn feed_authors<'a>(feed: &'a Feed, e: &Entry) -> impl Iterator<Item = &'a feed_rs::model::Person> {
    let inherit = e.authors.is_empty();
    feed.authors.iter().filter(move |_| inherit)
}

/// Drops what CMSs append to feed text: WordPress's "The post … appeared first on …" and the
/// excerpt's `[…]`.
fn without_feed_furniture(text: &str) -> String {
    let mut paragraphs: Vec<&str> = text.split("\n\n").collect();
    if paragraphs
        .last()
        .is_some_and(|p| p.starts_with("The post ") && p.contains(" appeared first on "))
    {
        paragraphs.pop();
    }
    let joined = paragraphs.join("\n\n");
    joined
        .trim_end()
        .trim_end_matches("[…]")
        .trim_end_matches("[...]")
        .trim_end_matches("Continue reading")
        .trim_end()
        .to_string()
}

fn is_html(t: &Text) -> bool {
    let ct = t.content_type.to_string();
    ct.contains("html") || t.content.contains('<') || t.content.contains('&')
}

fn text_inline(t: &Text) -> String {
    if is_html(t) {
        inline_text(&t.content)
    } else {
        super::collapse(&t.content)
    }
}

fn text_block(t: &Text) -> String {
    if is_html(t) {
        html_to_text(&t.content)
    } else {
        super::textify::plain_paragraphs(&t.content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Example Wire</title><link>https://example.org/</link><description>News</description><language>en-US</language>
<item>
  <title>Beijing&#8217;s Cautious Stance</title>
  <link>https://example.org/world/beijing-stance/</link>
  <guid isPermaLink="false">https://example.org/?p=101</guid>
  <dc:creator><![CDATA[Ashlee Durgan]]></dc:creator>
  <pubDate>Sat, 22 Jun 2024 05:03:00 +0000</pubDate>
  <category><![CDATA[World]]></category><category>Defense</category>
  <description><![CDATA[<p>China maintains silence on the pact.</p>]]></description>
  <content:encoded><![CDATA[<p>In a move that has sent <em>ripples</em>.</p><p>Second.</p><div class="sharedaddy">Share this</div>]]></content:encoded>
</item>
<item><title>No link</title><guid isPermaLink="false">item-42</guid><pubDate>not a date</pubDate><description>Plain body.</description></item>
</channel></rss>"##;

    #[test]
    fn rss_items() {
        let items = convert(RSS.as_bytes(), &Hints::default());
        assert_eq!(items.len(), 2);
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.title.as_deref(), Some("Beijing\u{2019}s Cautious Stance"));
        assert_eq!(a.id.as_deref(), Some("example-org-world-beijing-stance"));
        assert_eq!(
            a.url.as_deref(),
            Some("https://example.org/world/beijing-stance/")
        );
        assert_eq!(a.authors, Some(serde_json::json!(["Ashlee Durgan"])));
        assert_eq!(a.published_at.as_deref(), Some("2024-06-22T05:03:00Z"));
        assert_eq!(a.tags, Some(vec!["World".into(), "Defense".into()]));
        assert_eq!(
            a.summary.as_deref(),
            Some("China maintains silence on the pact.")
        );
        assert_eq!(
            a.body.as_deref(),
            Some("In a move that has sent ripples.\n\nSecond.")
        );
        assert_eq!(a.language.as_deref(), Some("en-us"));
        assert_eq!(a.source.as_deref(), Some("Example Wire"));
        let b = items[1].as_ref().unwrap();
        assert_eq!(b.id.as_deref(), Some("item-42"));
        assert_eq!(b.published_at, None);
        assert_eq!(b.body.as_deref(), Some("Plain body."));
        assert_eq!(b.summary, None);
    }

    #[test]
    fn atom_entries() {
        let atom = r##"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example Atom</title><id>urn:x</id><updated>2024-06-22T00:00:00Z</updated>
<author><name>Desk</name></author>
<entry><title type="html">Tom &amp;amp; Jerry</title><id>tag:example.org,2024:1</id>
<link rel="alternate" href="https://example.org/a/1"/><updated>2024-06-23T00:00:00Z</updated>
<published>2024-06-22T05:03:00+07:00</published><category term="asia" label="Asia"/>
<summary>Short.</summary><content type="html">&lt;p&gt;Long &lt;b&gt;text&lt;/b&gt;.&lt;/p&gt;</content></entry>
</feed>"##;
        let items = convert(atom.as_bytes(), &Hints::default());
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.title.as_deref(), Some("Tom & Jerry"));
        assert_eq!(a.id.as_deref(), Some("example-org-a-1"));
        assert_eq!(a.authors, Some(serde_json::json!(["Desk"])));
        assert_eq!(a.published_at.as_deref(), Some("2024-06-21T22:03:00Z"));
        assert_eq!(a.tags, Some(vec!["Asia".into()]));
        assert_eq!(a.body.as_deref(), Some("Long text."));
        assert_eq!(a.summary.as_deref(), Some("Short."));
    }

    #[test]
    fn garbage_is_one_error() {
        let items = convert(b"<rss><channel><item><title>cut", &Hints::default());
        assert_eq!(items.len(), 1, "{items:?}");
        assert!(items[0].as_ref().is_err_and(|e| e.contains("feed")));
        let items = convert(b"hello", &Hints::default());
        assert!(items[0].is_err());
    }

    #[test]
    fn rss_author_names_come_from_the_parentheses() {
        assert_eq!(
            author_name("desk@wire.example (Min-ji Park)").as_deref(),
            Some("Min-ji Park")
        );
        assert_eq!(author_name("Jane Doe").as_deref(), Some("Jane Doe"));
        assert_eq!(author_name("desk@wire.example"), None);
        assert_eq!(author_name("(Min-ji Park)").as_deref(), Some("Min-ji Park"));
        assert_eq!(author_name("x@y.z (a@b.c)"), None);
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>W</title><link>https://w.example/</link><description>d</description>
<item><title>T</title><link>https://w.example/1</link><author>desk@wire.example (Min-ji Park)</author><description>Body.</description></item>
</channel></rss>"#;
        let items = convert(rss.as_bytes(), &Hints::default());
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.authors, Some(serde_json::json!(["Min-ji Park"])));
    }

    #[test]
    fn a_wide_character_next_to_an_authors_email_is_no_panic() {
        // Found by the `feed` fuzz target: feed-rs 3.0.0 cut one byte off next to the email it
        // finds in an author and panicked inside `’` or `·` (patched in vendor/feed-rs).
        let rss1 = r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://w.example/"><title>W</title><link>https://w.example/</link></channel>
<item rdf:about="https://w.example/1"><title>T</title><link>https://w.example/1</link><dc:creator>desk@wire.example’s desk (Eva Gruber)</dc:creator></item>
</rdf:RDF>"#;
        let items = convert(rss1.as_bytes(), &Hints::default());
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.authors, Some(serde_json::json!(["Eva Gruber"])));
        let rss2 = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>W</title><link>https://w.example/</link><description>d</description>
<item><title>T</title><link>https://w.example/2</link><author>Ann Lee·desk@wire.example</author></item>
</channel></rss>"#;
        let items = convert(rss2.as_bytes(), &Hints::default());
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.authors, Some(serde_json::json!(["Ann Lee"])));
    }
}
