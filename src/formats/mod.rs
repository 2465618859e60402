//! What sites really publish, turned into articles: HTML article pages ([`html`]), RSS and Atom
//! feeds ([`feed`]) and scraped plain text ([`text`]), besides the JSON of the API.
//!
//! Every converter yields [`ArticleInput`]s, the same wire form a JSON client sends, so the
//! articles go through the one validation ([`ArticleInput::into_article`]) and entity extraction,
//! and every error names its field. A converter never fails a whole upload for one bad item: a
//! feed yields one result per item, a page or a text one result.
//!
//! The format comes from the caller (`--format`, the Content-Type), else from the file name
//! ([`Format::from_path`]; `.gz` wraps any), else from the first bytes ([`Format::sniff`]).

pub mod feed;
pub mod html;
pub mod text;
pub mod textify;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::article::date::{format_datetime, parse_datetime, DayEdge};
use crate::article::{Article, ArticleInput, MAX_ID_CHARS};
use crate::extract::extract_entities;
use crate::ingest::{self, ItemError};

/// An input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Decide from the file name, else from the content.
    Auto,
    /// NDJSON or a JSON array of API articles.
    Json,
    /// One HTML article page.
    Html,
    /// An RSS or Atom feed: one article per item.
    Feed,
    /// Scraped plain text: title on the first line, then byline lines and the text.
    Text,
}

impl Format {
    /// The format a file name implies (`.gz` is looked through), or `None`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        match ext {
            "ndjson" | "jsonl" | "json" => Some(Format::Json),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            "xml" | "rss" | "atom" | "feed" => Some(Format::Feed),
            "txt" | "text" => Some(Format::Text),
            _ => None,
        }
    }

    /// The format a media type names (`text/html`, `application/rss+xml`, …), or `None` for
    /// the JSON types and anything unknown.
    pub fn from_mime(mime: &str) -> Option<Format> {
        match mime {
            "text/html" | "application/xhtml+xml" => Some(Format::Html),
            "application/rss+xml"
            | "application/atom+xml"
            | "application/xml"
            | "text/xml"
            | "application/feed+xml"
            | "application/rdf+xml" => Some(Format::Feed),
            // Not `text/plain`: a web page may send that cross-site without a preflight.
            "text/x-scraped" => Some(Format::Text),
            _ => None,
        }
    }

    /// Guesses from the first bytes: `<rss`/`<feed`/`<rdf` → feed, `<html`/`<!doctype html` →
    /// HTML, `{`/`[` → JSON, else text.
    pub fn sniff(head: &[u8]) -> Format {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(head.len());
        let head = &head[start..head.len().min(start + 4096)];
        match head.first() {
            Some(b'{' | b'[') => return Format::Json,
            Some(b'<') => {}
            _ => return Format::Text,
        }
        let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
        if lower.contains("<rss") || lower.contains("<feed") || lower.contains("<rdf:rdf") {
            Format::Feed
        } else if lower.contains("<html") || lower.contains("<!doctype html") {
            Format::Html
        } else if lower.starts_with("<?xml") {
            // An XML prolog without a feed root in sight: most likely a feed with a long
            // preamble (stylesheets, comments); the feed parser says so if it is not.
            Format::Feed
        } else if lower.starts_with("<!--")
            || lower.contains("<head")
            || lower.contains("<body")
            || lower.contains("<article")
            || lower.contains("<p")
        {
            Format::Html
        } else {
            Format::Text
        }
    }

    /// The lowercase name, as `--format` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Json => "json",
            Format::Html => "html",
            Format::Feed => "feed",
            Format::Text => "text",
        }
    }
}

/// What the caller knows about a document that the document may not say.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// The article's id, overriding the one derived from the URL or title (single documents).
    pub id: Option<String>,
    /// Where the document was fetched from: the URL when the page names none, and the base
    /// for relative links.
    pub url: Option<String>,
}

/// Converts a document of a non-JSON format into article inputs, one per item (a feed) or
/// one (a page, a text). An `Err` is a whole-document failure or an item that cannot become
/// an article, in words. [`Format::Auto`] sniffs; [`Format::Json`] is not handled here (use
/// [`crate::ingest`]) and yields an error.
pub fn convert(bytes: &[u8], format: Format, hints: &Hints) -> Vec<Result<ArticleInput, String>> {
    let format = match format {
        Format::Auto => Format::sniff(bytes),
        f => f,
    };
    match format {
        Format::Html => vec![html::convert(&decode(bytes), hints)],
        Format::Text => vec![text::convert(&decode(bytes), hints)],
        Format::Feed => feed::convert(bytes, hints),
        Format::Json | Format::Auto => {
            vec![Err(
                "JSON is read by the JSON batch reader, not converted".into()
            )]
        }
    }
}

/// Converts and validates: the articles of a document of any format, each item's result with
/// its 1-based position (line number for JSON) and, when known, its id. Entities are extracted
/// for articles that carry none, as for JSON.
pub fn articles(
    bytes: &[u8],
    format: Format,
    hints: &Hints,
    each: &mut dyn FnMut(Result<Article, ItemError>),
) {
    let format = match format {
        Format::Auto => Format::sniff(bytes),
        f => f,
    };
    if format == Format::Json {
        // Reading from a slice cannot fail.
        let _ = ingest::read_stream(bytes, each);
        return;
    }
    for (i, item) in convert(bytes, format, hints).into_iter().enumerate() {
        each(validate(i + 1, item));
    }
}

/// An item from [`convert`] through [`ArticleInput::into_article`], errors as [`ItemError`].
pub fn validate(line: usize, item: Result<ArticleInput, String>) -> Result<Article, ItemError> {
    match item {
        Ok(input) => {
            let id = input.id.clone();
            input.into_article(extract_entities).map_err(|e| ItemError {
                line,
                id,
                error: e.to_string(),
            })
        }
        Err(error) => Err(ItemError {
            line,
            id: None,
            error,
        }),
    }
}

/// Longest document read whole for conversion (pages, feeds, texts; JSON streams).
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;

/// Reads one file of any format (gzipped when it starts with the gzip magic), calling `each`
/// per item. JSON streams item by item; the other formats are read whole. An I/O error (also
/// a corrupt gzip stream) is returned; everything else is an item error.
pub fn read_file(
    path: &Path,
    format: Format,
    each: &mut dyn FnMut(Result<Article, ItemError>),
) -> std::io::Result<()> {
    let mut file = BufReader::new(std::fs::File::open(path)?);
    let gz = file.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let inner: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut reader = BufReader::with_capacity(1 << 20, inner);
    let format = match format {
        Format::Auto => match Format::from_path(path) {
            Some(f) => f,
            None => Format::sniff(reader.fill_buf()?),
        },
        f => f,
    };
    if format == Format::Json {
        return ingest::read_stream(reader, each);
    }
    let mut bytes = Vec::new();
    reader
        .take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than {MAX_DOCUMENT_BYTES} bytes, too large for a {} document",
                format.name()
            ),
        ));
    }
    articles(&bytes, format, &Hints::default(), each);
    Ok(())
}

/// The files named by command-line arguments: a file as it is, a directory walked recursively
/// (sorted; hidden entries skipped; only files whose name implies a format, unless `all`), a
/// glob (`*`, `?`, `**`) expanded the same way. A pattern that matches nothing and a missing
/// path are errors in words, for the caller to report and go on.
pub fn expand_paths(args: &[PathBuf], all: bool) -> Vec<Result<PathBuf, String>> {
    let mut out = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let mut files = Vec::new();
            walk(arg, &mut files);
            out.extend(
                files
                    .into_iter()
                    .filter(|f| all || Format::from_path(f).is_some())
                    .map(Ok),
            );
        } else if arg.exists() {
            out.push(Ok(arg.clone()));
        } else if arg.to_str().is_some_and(is_glob) {
            let matched = glob(arg.to_str().unwrap_or_default());
            if matched.is_empty() {
                out.push(Err(format!("`{}` matches no file", arg.display())));
            }
            out.extend(matched.into_iter().map(Ok));
        } else {
            out.push(Err(format!(
                "`{}`: no such file or directory",
                arg.display()
            )));
        }
    }
    out
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Every file under `dir`, sorted, hidden entries skipped.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// The files matching a glob pattern (the `glob` crate: `*` and `?` within a name, `**` any
/// number of directories, `[a-z]` and `[!x]` sets), sorted; names starting with a dot only
/// when the pattern says the dot. Directories are not returned; a matched directory is not
/// walked (write `dir/**` for that).
fn glob(pattern: &str) -> Vec<PathBuf> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let Ok(paths) = glob::glob_with(pattern, options) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Bytes as text: UTF-8 (a BOM dropped), invalid sequences replaced.
pub(crate) fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

/// A stable id from a URL: host and path (and the query without tracking parameters), lower
/// case, every run of other characters than letters and digits as one `-`, at most 256
/// characters. `https://www.example.org/world/beijing-stance/` →
/// `www-example-org-world-beijing-stance`.
pub fn url_slug(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest,
        None => url.strip_prefix("//").unwrap_or(url),
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let query: Vec<&str> = query
        .split('&')
        .filter(|kv| {
            let k = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
            !k.is_empty()
                && !k.starts_with("utm_")
                && !matches!(k.as_str(), "fbclid" | "gclid" | "ref" | "amp")
        })
        .collect();
    let mut s = path.to_string();
    if !query.is_empty() {
        s.push('-');
        s.push_str(&query.join("-"));
    }
    // Drop the user-info part of the host, if any.
    if let Some((_, host_on)) = s.split_once('@').filter(|(u, _)| !u.contains('/')) {
        s = host_on.to_string();
    }
    slug(&s)
}

/// `Beijing's Cautious Stance` → `beijings-cautious-stance`: lower case, apostrophes dropped,
/// other runs of non-alphanumerics as one `-`, at most 256 characters; `None` when empty.
pub fn slug(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else if !matches!(c, '\'' | '’' | '‘') {
            dash = true;
        }
    }
    if out.chars().count() > MAX_ID_CHARS {
        out = out.chars().take(MAX_ID_CHARS).collect();
        while out.ends_with('-') {
            out.pop();
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Resolves a link against the page's URL as a browser does (`url::Url::join`: `../`, `./`,
/// `//host`, `/path`, queries). Without a usable base, only absolute links are kept; only
/// http and https links are returned.
pub(crate) fn resolve_url(link: &str, base: Option<&str>) -> Option<String> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let url = match url::Url::parse(link) {
        Ok(absolute) => absolute,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse(base?.trim()).ok()?.join(link).ok()?
        }
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A date as published, in any of the usual shapes, as RFC 3339 UTC: RFC 3339 and ISO 8601
/// (also `+0700` offsets), RFC 2822 (feeds), `June 22, 2024 05:03am`, `22 June 2024`,
/// `2024/06/22`. `None` when unreadable.
pub fn parse_loose_date(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let done = |dt: DateTime<Utc>| Some(format_datetime(&dt));
    if let Ok(dt) = parse_datetime(s, DayEdge::Start) {
        return done(dt);
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return done(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return done(dt.with_timezone(&Utc));
        }
    }
    // Words: `June 22, 2024 05:03am`, `Jun 22, 2024, 5:03 PM`, `22 June 2024 17:03`.
    let cleaned = s
        .replace(" at ", " ")
        .replace([',', '|'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let cleaned = cleaned
        .trim_end_matches(" UTC")
        .trim_end_matches(" GMT")
        .to_string();
    // `05:03am` and `05:03 am` alike.
    let spaced = {
        let lower = cleaned.to_ascii_lowercase();
        if lower.ends_with("am") || lower.ends_with("pm") {
            let (a, b) = cleaned.split_at(cleaned.len() - 2);
            format!("{} {}", a.trim_end(), b)
        } else {
            cleaned.clone()
        }
    };
    for date_fmt in [
        "%B %d %Y",
        "%b %d %Y",
        "%d %B %Y",
        "%d %b %Y",
        "%Y/%m/%d",
        "%A %B %d %Y",
        "%a %b %d %Y",
    ] {
        for time_fmt in ["%I:%M %p", "%I:%M:%S %p", "%H:%M", "%H:%M:%S"] {
            let fmt = format!("{date_fmt} {time_fmt}");
            if let Ok(naive) = NaiveDateTime::parse_from_str(&spaced, &fmt) {
                return done(naive.and_utc());
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(&cleaned, date_fmt) {
            return done(d.and_hms_opt(0, 0, 0)?.and_utc());
        }
    }
    None
}

/// Whitespace runs as one space, trimmed.
pub(crate) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Adds a value to a list unless it is blank or already there (ignoring case).
pub(crate) fn push_unique(list: &mut Vec<String>, value: &str) {
    let v = collapse(value);
    if !v.is_empty() && !list.iter().any(|x| x.eq_ignore_ascii_case(&v)) {
        list.push(v);
    }
}

/// `Some(s)` when `s` has any non-blank text, collapsed.
pub(crate) fn non_blank(s: impl AsRef<str>) -> Option<String> {
    let s = s.as_ref().trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names_and_types() {
        assert_eq!(
            Format::from_path(Path::new("a/b.NDJSON.gz")),
            Some(Format::Json)
        );
        assert_eq!(Format::from_path(Path::new("page.htm")), Some(Format::Html));
        assert_eq!(Format::from_path(Path::new("x.atom")), Some(Format::Feed));
        assert_eq!(Format::from_path(Path::new("x.txt.gz")), Some(Format::Text));
        assert_eq!(Format::from_path(Path::new("README")), None);
        assert_eq!(
            Format::from_mime("application/atom+xml"),
            Some(Format::Feed)
        );
        assert_eq!(Format::from_mime("application/json"), None);
    }

    #[test]
    fn sniffing() {
        assert_eq!(
            Format::sniff(b"  <?xml version=\"1.0\"?>\n<rss version=\"2.0\">"),
            Format::Feed
        );
        assert_eq!(
            Format::sniff(b"<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            Format::Feed
        );
        assert_eq!(
            Format::sniff(b"\xEF\xBB\xBF<!DOCTYPE html><html>"),
            Format::Html
        );
        assert_eq!(Format::sniff(b"{\"id\":1}"), Format::Json);
        assert_eq!(Format::sniff(b"[{}]"), Format::Json);
        assert_eq!(
            Format::sniff("Beijing's Cautious Stance\n".as_bytes()),
            Format::Text
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Beijing's Cautious Stance Amidst Russia-North Korea Defense Pact").as_deref(),
            Some("beijings-cautious-stance-amidst-russia-north-korea-defense-pact")
        );
        assert_eq!(
            url_slug("https://www.example.org/world/beijing-stance/?utm_source=x#top").as_deref(),
            Some("www-example-org-world-beijing-stance")
        );
        assert_eq!(
            url_slug("https://example.org/?p=123").as_deref(),
            Some("example-org-p-123")
        );
        assert_eq!(slug(&"ab ".repeat(200)).unwrap().chars().count(), 256);
        assert!(!slug(&"ab ".repeat(200)).unwrap().ends_with('-'));
        assert_eq!(slug("  ..  "), None);
    }

    #[test]
    fn relative_links() {
        let base = Some("https://example.org/world/page.html?x=1");
        assert_eq!(
            resolve_url("/a/b", base).unwrap(),
            "https://example.org/a/b"
        );
        assert_eq!(
            resolve_url("c", base).unwrap(),
            "https://example.org/world/c"
        );
        assert_eq!(
            resolve_url("//cdn.example.org/x", base).unwrap(),
            "https://cdn.example.org/x"
        );
        assert_eq!(resolve_url("/a", None), None);
    }

    #[test]
    fn loose_dates() {
        let d = |s| parse_loose_date(s);
        assert_eq!(
            d("June 22, 2024 05:03am").as_deref(),
            Some("2024-06-22T05:03:00Z")
        );
        assert_eq!(
            d("Jun 22, 2024, 5:03 PM").as_deref(),
            Some("2024-06-22T17:03:00Z")
        );
        assert_eq!(
            d("2024-06-22T05:03:00+0700").as_deref(),
            Some("2024-06-21T22:03:00Z")
        );
        assert_eq!(
            d("Sat, 22 Jun 2024 05:03:00 GMT").as_deref(),
            Some("2024-06-22T05:03:00Z")
        );
        assert_eq!(d("22 June 2024").as_deref(), Some("2024-06-22T00:00:00Z"));
        assert_eq!(d("2024-06-22").as_deref(), Some("2024-06-22T00:00:00Z"));
        assert_eq!(d("someday"), None);
        assert_eq!(d("200"), None);
    }

    #[test]
    fn globs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("feeds/sub")).unwrap();
        for f in [
            "a.xml",
            "b.xml",
            "m.xml",
            "z.xml",
            "-.xml",
            "B.xml",
            ".hidden.xml",
            "page.html",
            "sub/deep.xml",
        ] {
            std::fs::write(root.join("feeds").join(f), "x").unwrap();
        }
        let names = |pattern: &str| -> Vec<String> {
            glob(&format!("{}/{pattern}", root.display()))
                .iter()
                .map(|p| p.strip_prefix(root).unwrap().display().to_string())
                .collect()
        };
        // `[a-z]` is every lower-case letter, not the three characters a, -, z.
        assert_eq!(
            names("feeds/[a-z].xml"),
            ["feeds/a.xml", "feeds/b.xml", "feeds/m.xml", "feeds/z.xml"]
        );
        assert_eq!(names("feeds/p?ge.[hx]tml"), ["feeds/page.html"]);
        assert_eq!(
            names("feeds/**/*.xml").len(),
            7,
            "{:?}",
            names("feeds/**/*.xml")
        );
        assert!(names("feeds/*.xml")
            .iter()
            .all(|n| !n.contains("hidden") && !n.contains("sub")));
        assert!(names("nothing/*.xml").is_empty());
    }

    #[test]
    fn links_resolve_as_a_browser_resolves_them() {
        let base = Some("https://example.org/world/asia/story.html?x=1");
        assert_eq!(
            resolve_url("../europe/a.html", base).as_deref(),
            Some("https://example.org/world/europe/a.html")
        );
        assert_eq!(
            resolve_url("./b.html", base).as_deref(),
            Some("https://example.org/world/asia/b.html")
        );
        assert_eq!(
            resolve_url("/c", base).as_deref(),
            Some("https://example.org/c")
        );
        assert_eq!(
            resolve_url("//cdn.example.org/d", base).as_deref(),
            Some("https://cdn.example.org/d")
        );
        assert_eq!(
            resolve_url("https://other.example/e", None).as_deref(),
            Some("https://other.example/e")
        );
        assert_eq!(resolve_url("f.html", None), None);
        assert_eq!(resolve_url("javascript:alert(1)", base), None);
    }
}
