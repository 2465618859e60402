//! Scraped plain text → one article, the shape a scraper saves a page in:
//!
//! ```text
//! Beijing's Cautious Stance Amidst Russia-North Korea Defense Pact
//!
//!   • Ashlee Durgan
//!   • June 22, 2024 05:03am
//!   • 200
//!
//! China maintains silence on the new defense pact ...
//! ```
//!
//! The title is the first line; the byline lines after it (bullets `•`/`·`, `By …`, a bare
//! date) give the author, the date and a view count. The body is the rest, blank-line
//! separated as given, without what scrapers pick up around the text: the title repeated by
//! image captions, share prompts, comment boxes (also in other languages) and the
//! related-articles list. Where such a block starts near the end of the text, everything from
//! it on is dropped.

use serde_json::Value;

use super::{collapse, non_blank, parse_loose_date, slug, Hints};
use crate::article::ArticleInput;

/// Lines that are page furniture, compared lower case without trailing `:` and punctuation.
/// The ones marked as tail start the block after the article (share bar, comments, related).
const BOILERPLATE: &[(&str, bool)] = &[
    // English
    ("share this post", true),
    ("share this article", true),
    ("share this story", true),
    ("share this", true),
    ("share", true),
    ("share on facebook", false),
    ("share on twitter", false),
    ("share on x", false),
    ("tweet", false),
    ("email", false),
    ("print", false),
    ("leave a comment", true),
    ("leave a reply", true),
    ("post a comment", true),
    ("add a comment", true),
    ("comments", true),
    ("no comments yet", true),
    ("no comments", true),
    ("be the first to comment", true),
    ("0 comments", true),
    ("related articles", true),
    ("related posts", true),
    ("related stories", true),
    ("related news", true),
    ("related", true),
    ("you may also like", true),
    ("you might also like", true),
    ("read more", true),
    ("more stories", true),
    ("recommended", true),
    ("advertisement", false),
    ("subscribe to our newsletter", false),
    // Vietnamese
    ("chưa có bình luận nào", true),
    ("bình luận", true),
    ("để lại bình luận", true),
    ("viết bình luận", true),
    ("tin liên quan", true),
    ("bài viết liên quan", true),
    ("chia sẻ", true),
    ("chia sẻ bài viết", true),
    // French, Spanish, Portuguese, German, Italian
    ("aucun commentaire", true),
    ("laisser un commentaire", true),
    ("articles connexes", true),
    ("partager", true),
    ("sin comentarios", true),
    ("deja un comentario", true),
    ("artículos relacionados", true),
    ("compartir", true),
    ("nenhum comentário", true),
    ("deixe um comentário", true),
    ("artigos relacionados", true),
    ("compartilhar", true),
    ("keine kommentare", true),
    ("noch keine kommentare", true),
    ("kommentar schreiben", true),
    ("ähnliche artikel", true),
    ("teilen", true),
    ("nessun commento", true),
    ("lascia un commento", true),
    ("articoli correlati", true),
    ("condividi", true),
];

/// Bullets that start byline lines, and separate parts inside one.
const BULLETS: &[char] = &['•', '·', '●', '▪', '|', '–', '—', '*', '-'];

/// Converts scraped text.
pub fn convert(text: &str, hints: &Hints) -> Result<ArticleInput, String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let Some(first) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return Err("the text is empty".into());
    };
    let title = collapse(lines[first]);
    let title_key = key(&title);

    let mut input = ArticleInput::default();
    let mut authors: Vec<String> = Vec::new();

    // The byline block: up to the first line that reads like text.
    let mut i = first + 1;
    let mut header_lines = 0;
    while i < lines.len() && header_lines < 8 {
        let line = lines[i].trim();
        i += 1;
        if line.is_empty() {
            continue;
        }
        if !read_byline(line, &mut input, &mut authors) {
            i -= 1;
            break;
        }
        header_lines += 1;
    }

    // The body: the remaining lines without furniture, paragraphs as given.
    let rest = &lines[i.min(lines.len())..];
    let total: usize = rest.iter().map(|l| l.trim().len()).sum();
    let mut seen = 0usize;
    let mut kept: Vec<&str> = Vec::new();
    for line in rest {
        let t = line.trim();
        let k = key(t);
        seen += t.len();
        if k == title_key {
            continue;
        }
        if let Some(&(_, tail)) = BOILERPLATE.iter().find(|(b, _)| *b == k) {
            // Near the end (most of the text already read) a furniture line starts the
            // page's tail: share bar, comment box, related list. Mid-text it is only dropped.
            if tail && seen * 10 >= total * 8 {
                break;
            }
            continue;
        }
        kept.push(t);
    }
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in kept.into_iter().chain(std::iter::once("")) {
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }

    if !authors.is_empty() {
        input.authors = Some(Value::from(authors));
    }
    // A short first paragraph is the standfirst; it stays the start of the body too.
    input.summary = paragraphs
        .first()
        .filter(|p| paragraphs.len() > 1 && p.len() <= 400)
        .cloned();
    input.body = non_blank(paragraphs.join("\n\n"));
    input.id = hints.id.clone().or_else(|| slug(&title));
    input.url = hints.url.clone();
    input.title = Some(title);
    Ok(input)
}

/// Reads a byline line into `input`; `false` when the line is not one (the text starts).
fn read_byline(line: &str, input: &mut ArticleInput, authors: &mut Vec<String>) -> bool {
    let bulleted = line.starts_with(BULLETS);
    let by = strip_by(line);
    let parts: Vec<&str> = line
        .split(['•', '·', '●', '▪', '|'])
        .map(|p| p.trim().trim_start_matches(BULLETS).trim())
        .filter(|p| !p.is_empty())
        .collect();
    if !bulleted && by.is_none() && parts.len() < 2 {
        // A bare date or view count alone on its line also belongs to the byline.
        return read_part(line, input, authors, false);
    }
    if parts.is_empty() || line.len() > 200 {
        return false;
    }
    let mut any = false;
    for part in parts {
        any |= read_part(part, input, authors, true);
    }
    any
}

/// One byline value: a date, a view count, or (when `names` allows) an author.
fn read_part(part: &str, input: &mut ArticleInput, authors: &mut Vec<String>, names: bool) -> bool {
    let part = part.trim();
    if input.published_at.is_none() {
        let date_text = part
            .trim_start_matches("Published")
            .trim_start_matches("Updated")
            .trim_start_matches(':')
            .trim_start_matches(" on")
            .trim();
        if let Some(d) = parse_loose_date(date_text) {
            input.published_at = Some(d);
            return true;
        }
    }
    if let Some(v) = views(part) {
        if input.views.is_none() {
            input.views = Some(v);
        }
        return true;
    }
    let name = strip_by(part).unwrap_or(part);
    if (names || strip_by(part).is_some()) && looks_like_name(name) {
        for n in name.split([',', '&']).flat_map(|n| n.split(" and ")) {
            let n = collapse(n);
            if !n.is_empty() && !authors.contains(&n) {
                authors.push(n);
            }
        }
        return true;
    }
    false
}

fn strip_by(s: &str) -> Option<&str> {
    let s = s.trim();
    ["By ", "by ", "BY ", "Written by ", "Author: ", "Tác giả: "]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .map(str::trim)
}

/// `200`, `1,234`, `200 views`, `Views: 1.234`.
fn views(s: &str) -> Option<u64> {
    let lower = s.to_lowercase();
    let digits = lower
        .trim_start_matches("views")
        .trim_start_matches(':')
        .trim_end_matches("views")
        .trim_end_matches("view")
        .trim_end_matches("lượt xem")
        .trim();
    if digits.is_empty()
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
        || !digits.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    digits.replace([',', '.'], "").parse().ok()
}

/// A short run of words that starts with a capital letter and has no sentence punctuation.
fn looks_like_name(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.is_empty() || words.len() > 8 || s.len() > 80 || !s.starts_with(char::is_uppercase) {
        return false;
    }
    // Initials (`J. R. Smith`) are the only dots a name has; no other sentence punctuation.
    let initials_only = words
        .iter()
        .all(|w| !w.contains('.') || (w.ends_with('.') && w.chars().count() <= 3));
    initials_only && !s.contains(['!', '?', ':', ';'])
}

/// A line as compared for furniture: lower case, spaces collapsed, trailing `:` dropped.
fn key(s: &str) -> String {
    collapse(s)
        .to_lowercase()
        .trim_end_matches([':', '.', '…', '!'])
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../data/seed-article.txt");

    #[test]
    fn the_seed_article() {
        let a = convert(SEED, &Hints::default()).unwrap();
        assert_eq!(
            a.title.as_deref(),
            Some("Beijing's Cautious Stance Amidst Russia-North Korea Defense Pact")
        );
        assert_eq!(
            a.id.as_deref(),
            Some("beijings-cautious-stance-amidst-russia-north-korea-defense-pact")
        );
        assert_eq!(a.authors, Some(serde_json::json!(["Ashlee Durgan"])));
        assert_eq!(a.published_at.as_deref(), Some("2024-06-22T05:03:00Z"));
        assert_eq!(a.views, Some(200));
        let body = a.body.unwrap();
        assert!(body.starts_with("China maintains silence"), "{body}");
        assert!(
            body.ends_with("shaping the future of the region."),
            "{body}"
        );
        for junk in [
            "Cautious Stance Amidst",
            "Share this Post",
            "Leave a comment",
            "Chưa có bình luận nào",
            "Related articles",
            "Ashlee",
            "05:03am",
        ] {
            assert!(!body.contains(junk), "{junk} in {body}");
        }
        assert_eq!(body.split("\n\n").count(), 13);
        assert!(a.summary.unwrap().starts_with("China maintains silence"));
    }

    #[test]
    fn other_bylines() {
        let t = "Title here\nBy Jane Roe and John Doe | 22 June 2024\n1,234 views\n\nFirst paragraph of text, long enough.\nSecond line.\n\nShare\n\nLast paragraph.\n\nRelated\nOther story";
        let a = convert(t, &Hints::default()).unwrap();
        assert_eq!(a.authors, Some(serde_json::json!(["Jane Roe", "John Doe"])));
        assert_eq!(a.published_at.as_deref(), Some("2024-06-22T00:00:00Z"));
        assert_eq!(a.views, Some(1234));
        assert_eq!(
            a.body.as_deref(),
            Some("First paragraph of text, long enough.\nSecond line.\n\nLast paragraph.")
        );
    }

    #[test]
    fn title_only_and_empty() {
        let a = convert("\n\n  Just a title  \n", &Hints::default()).unwrap();
        assert_eq!(a.title.as_deref(), Some("Just a title"));
        assert_eq!(a.body, None);
        assert!(convert(" \n ", &Hints::default()).is_err());
    }
}
