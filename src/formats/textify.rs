//! HTML to plain text: block elements become paragraphs separated by blank lines, inline text
//! is joined with its whitespace collapsed, and what is not article text (scripts, navigation,
//! share buttons, comment boxes, related-link lists, forms) is left out. Shared by article
//! pages and feed content, so both read the same.

use scraper::{ElementRef, Html, Node};

/// Elements whose content is never article text.
const DROPPED_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "nav",
    "header", "footer", "aside", "form", "button", "input", "select", "textarea", "label", "menu",
    "dialog", "head", "title", "meta", "link",
];

/// Elements that end a paragraph.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "table",
    "tr",
    "td",
    "th",
    "thead",
    "tbody",
    "hr",
    "address",
    "details",
    "summary",
    "body",
    "center",
];

/// Words in a class or id that always mark boilerplate, matched per word as prefixes
/// (`sharedaddy`, `comments-area`, `jp-relatedposts`), except on `article` and `main`.
const STRONG_NEGATIVE: &[&str] = &[
    "share",
    "sharing",
    "social",
    "comment",
    "related",
    "newsletter",
    "promo",
    "advert",
    "sponsor",
    "subscribe",
    "disqus",
    "outbrain",
    "taboola",
    "cookie",
    "popup",
    "recommend",
];
/// Whole words that always mark boilerplate (`ad-slot`, `ads`).
const STRONG_NEGATIVE_WORDS: &[&str] = &["ad", "ads", "adsense", "adslot", "dfp"];
/// Prefixes that mark boilerplate unless a positive word is there too (`navbar`, `site-footer`,
/// `widget-area`, but not `entry-meta post-footer-content`).
const WEAK_NEGATIVE: &[&str] = &[
    "nav",
    "menu",
    "footer",
    "sidebar",
    "widget",
    "breadcrumb",
    "byline",
    "banner",
    "skip",
    "masthead",
    "reply",
    "respond",
    "toolbar",
    "pagination",
];
const WEAK_NEGATIVE_WORDS: &[&str] = &["meta", "tags", "tagcloud"];
/// Whole words that mark a container of the article itself and outweigh the weak negatives.
const POSITIVE_WORDS: &[&str] = &[
    "article",
    "articlebody",
    "body",
    "content",
    "main",
    "post",
    "entry",
    "story",
    "text",
    "blog",
    "hentry",
    "prose",
];

/// Whether an element is boilerplate: its tag, or its class/id words, or an ARIA role or a
/// `hidden` attribute say so.
pub fn is_boilerplate(el: &ElementRef<'_>) -> bool {
    let e = el.value();
    let name = e.name();
    if name == "html" || name == "body" {
        return false;
    }
    if DROPPED_TAGS.contains(&name) {
        return true;
    }
    if e.attr("hidden").is_some() || e.attr("aria-hidden") == Some("true") {
        return true;
    }
    if let Some(role) = e.attr("role") {
        if matches!(
            role,
            "navigation" | "banner" | "contentinfo" | "complementary" | "search" | "dialog"
        ) {
            return true;
        }
    }
    if let Some(style) = e.attr("style") {
        let s: String = style.chars().filter(|c| !c.is_whitespace()).collect();
        if s.to_ascii_lowercase().contains("display:none") {
            return true;
        }
    }
    let mut weak = false;
    let mut positive = false;
    let attrs = [e.attr("class").unwrap_or(""), e.attr("id").unwrap_or("")];
    for attr in attrs {
        for word in attr
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let w = word.to_ascii_lowercase();
            if STRONG_NEGATIVE_WORDS.contains(&w.as_str())
                || STRONG_NEGATIVE.iter().any(|p| w.starts_with(p))
            {
                if name != "article" && name != "main" {
                    return true;
                }
            } else if WEAK_NEGATIVE_WORDS.contains(&w.as_str())
                || WEAK_NEGATIVE.iter().any(|p| w.starts_with(p))
            {
                weak = true;
            } else if POSITIVE_WORDS.contains(&w.as_str()) {
                positive = true;
            }
        }
    }
    weak && !positive
}

/// Whether an element or any ancestor of it is boilerplate.
pub fn in_boilerplate(el: &ElementRef<'_>) -> bool {
    std::iter::once(*el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .any(|e| is_boilerplate(&e))
}

/// Deepest element nesting parsed as HTML. html5ever's work grows with the square of the
/// depth, and no real page comes near this; deeper documents are refused (pages) or read with
/// their tags stripped (feed content).
pub const MAX_DEPTH: usize = 1_000;

/// Elements that close themselves or are closed implicitly, and so do not nest.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "param",
];

/// Most attributes one tag may have. html5ever checks each new attribute against those before
/// it, so a tag with many costs the square of their number (a 409 KB tag took 3 s); no real
/// page comes near this.
pub const MAX_ATTRIBUTES: usize = 1_000;

/// Whether a tag of the markup has more than [`MAX_ATTRIBUTES`] attributes, by a linear scan
/// (an estimate: words separated by blanks inside a tag, outside quoted values).
pub fn too_many_attributes(html: &str) -> bool {
    let mut in_tag = false;
    let mut quote: Option<u8> = None;
    let mut after_blank = false;
    let mut count = 0;
    for &b in html.as_bytes() {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'<' => {
                in_tag = true;
                count = 0;
                after_blank = false;
            }
            b'>' => in_tag = false,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => after_blank = in_tag,
            b'"' | b'\'' if in_tag => {
                quote = Some(b);
                after_blank = false;
            }
            _ if in_tag && after_blank => {
                after_blank = false;
                count += 1;
                if count > MAX_ATTRIBUTES {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether the markup nests elements deeper than [`MAX_DEPTH`], by a linear scan of its tags
/// (an estimate: implicitly closed elements are not counted).
pub fn too_deep(html: &str) -> bool {
    let bytes = html.as_bytes();
    let mut depth: usize = 0;
    // Open `<svg>` and `<math>` elements, inside which `/>` closes an element.
    let mut foreign: usize = 0;
    // The first `>` at or after the end of the last tag name looked at (`bytes.len()` when
    // there is none): tag names only move forward, so each byte is searched once, also when
    // no tag is ever closed (`<br <br <br …`).
    let mut next_gt: usize = 0;
    let mut i = 0;
    while let Some(pos) = bytes[i..].iter().position(|&b| b == b'<') {
        i += pos + 1;
        match bytes.get(i) {
            Some(b'/') => {
                depth = depth.saturating_sub(1);
                let starts = |name: &[u8]| {
                    bytes
                        .get(i + 1..i + 1 + name.len())
                        .is_some_and(|t| t.eq_ignore_ascii_case(name))
                };
                if starts(b"svg") || starts(b"math") {
                    foreign = foreign.saturating_sub(1);
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .map_or(bytes.len(), |e| i + e);
                let name = html[i..end].to_ascii_lowercase();
                if next_gt < end {
                    next_gt = bytes[end..]
                        .iter()
                        .position(|&b| b == b'>')
                        .map_or(bytes.len(), |e| end + e);
                }
                let close = (next_gt < bytes.len()).then_some(next_gt);
                // `/>` closes an element only in SVG and MathML: in HTML `<div/>` opens a div
                // like `<div>` does (so a page of them nests as deep as it is long).
                let foreign_tag = name == "svg" || name == "math";
                let self_closing = (foreign > 0 || foreign_tag)
                    && close.is_some_and(|c| c > 0 && bytes[c - 1] == b'/');
                if foreign_tag && !self_closing {
                    foreign += 1;
                }
                if !self_closing && !NOT_NESTING.contains(&name.as_str()) {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return true;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// The text of an element as blank-line-separated paragraphs, boilerplate left out.
pub fn element_text(el: ElementRef<'_>) -> String {
    let mut w = Writer::default();
    w.walk(el);
    w.finish()
}

/// The text of an HTML fragment (feed content, a description) as paragraphs.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        // Plain text already: keep its paragraphs.
        return plain_paragraphs(html);
    }
    if too_deep(html) || too_many_attributes(html) {
        return strip_tags(html);
    }
    let doc = Html::parse_fragment(html);
    element_text(doc.root_element())
}

/// Text with every `<…>` removed and the common entities decoded, in one linear pass.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    super::collapse(&out)
}

/// The text of inline HTML (a title), on one line.
pub fn inline_text(html: &str) -> String {
    super::collapse(&html_to_text(html))
}

/// Plain text with its paragraphs normalized: blank-line separated, spaces collapsed.
pub fn plain_paragraphs(s: &str) -> String {
    s.split("\n\n")
        .map(|p| {
            p.lines()
                .map(super::collapse)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[derive(Default)]
struct Writer {
    paragraphs: Vec<String>,
    current: String,
    depth: usize,
}

impl Writer {
    fn walk(&mut self, el: ElementRef<'_>) {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            // No recursion past this: the rest of the subtree as plain text.
            self.text(&el.text().collect::<Vec<_>>().join(" "));
            self.depth -= 1;
            return;
        }
        for child in el.children() {
            match child.value() {
                Node::Text(t) => self.text(t),
                Node::Element(e) => {
                    let Some(child_el) = ElementRef::wrap(child) else {
                        continue;
                    };
                    if is_boilerplate(&child_el) {
                        continue;
                    }
                    let name = e.name();
                    if name == "br" {
                        self.line_break();
                    } else if name == "img" {
                        // Alt text is not article text.
                    } else if BLOCK_TAGS.contains(&name) {
                        self.flush();
                        self.walk(child_el);
                        self.flush();
                    } else {
                        self.walk(child_el);
                    }
                }
                _ => {}
            }
        }
        self.depth -= 1;
    }

    fn text(&mut self, t: &str) {
        for (i, word) in t.split_whitespace().enumerate() {
            let space_before = i > 0 || t.starts_with(char::is_whitespace);
            if space_before && !self.current.is_empty() && !self.current.ends_with([' ', '\n']) {
                self.current.push(' ');
            }
            self.current.push_str(word);
        }
        if t.ends_with(char::is_whitespace)
            && !self.current.is_empty()
            && !self.current.ends_with([' ', '\n'])
        {
            self.current.push(' ');
        }
    }

    fn line_break(&mut self) {
        let trimmed = self.current.trim_end_matches(' ').len();
        self.current.truncate(trimmed);
        if self.current.ends_with('\n') {
            // Two breaks in a row end a paragraph.
            self.flush();
        } else if !self.current.is_empty() {
            self.current.push('\n');
        }
    }

    fn flush(&mut self) {
        let p = self
            .current
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if !p.is_empty() {
            self.paragraphs.push(p);
        }
        self.current.clear();
    }

    fn finish(mut self) -> String {
        self.flush();
        self.paragraphs.join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_inline_text() {
        let t = html_to_text(
            "<p>China <b>maintains</b>\n  silence.</p><p>Second&nbsp;one &amp; more.</p><ul><li>a</li><li>b</li></ul>",
        );
        assert_eq!(
            t,
            "China maintains silence.\n\nSecond one & more.\n\na\n\nb"
        );
    }

    #[test]
    fn breaks_scripts_and_boilerplate() {
        let t = html_to_text(
            r##"<div>Line one<br>line two<br><br>New paragraph</div><script>var x = "no";</script>
            <div class="sharedaddy sd-sharing-enabled"><a href="#">Share on Facebook</a></div>
            <div id="comments" class="comments-area"><p>Nice post!</p></div>
            <div class="entry-content post-sidebar"><p>Kept.</p></div>
            <div class="ad-slot">Buy now</div><div class="header-title">Kept header words</div>"##,
        );
        assert_eq!(
            t,
            "Line one\nline two\n\nNew paragraph\n\nKept.\n\nKept header words"
        );
    }

    #[test]
    fn self_closing_html_elements_nest() {
        assert!(too_deep(&"<div/>".repeat(2_000)));
        let many: String = (0..MAX_ATTRIBUTES + 1).map(|i| format!(" a{i}")).collect();
        assert!(too_many_attributes(&format!("<br{many}>")));
        // Words of a quoted value are not attributes; attributes of separate tags add up to
        // nothing.
        let words = "word ".repeat(5 * MAX_ATTRIBUTES);
        assert!(!too_many_attributes(&format!(
            "<meta content=\"{words}\" x='{words}'>"
        )));
        assert!(!too_many_attributes(
            &"<p a b c>".repeat(5 * MAX_ATTRIBUTES)
        ));
        assert!(too_deep(&"<span />".repeat(2_000)));
        // In SVG `/>` closes: a page of icons is not deep.
        let icons =
            "<svg viewBox=\"0 0 1 1\"><path d=\"M0\"/><circle r=\"1\"/></svg>".repeat(2_000);
        assert!(!too_deep(&format!("<div>{icons}</div>")));
        assert!(!too_deep(&"<br/>".repeat(5_000)));
    }

    #[test]
    fn tags_never_closed_are_scanned_once() {
        // Each `<br` used to search the rest of the page for its `>`: 1 MB took 105 s.
        let open = "<br ".repeat(1_000_000);
        let started = std::time::Instant::now();
        assert!(!too_deep(&open));
        assert!(too_deep(&"<div ".repeat(2_000)));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // A `>` found once serves every tag before it, and foreign `/>` still closes.
        assert!(!too_deep(&format!(
            "<svg>{}<g/></svg>",
            "<path a=1 ".repeat(5_000)
        )));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!(
            "{}<p>x &amp; y</p>{}",
            "<div>".repeat(5_000),
            "</div>".repeat(5_000)
        );
        assert!(too_deep(&deep));
        assert_eq!(html_to_text(&deep), "x & y");
        let wide = "<div><p>a<br>b<img src=x></div>".repeat(5_000);
        assert!(!too_deep(&wide));
    }

    #[test]
    fn plain_text_stays_plain() {
        assert_eq!(html_to_text("One  two.\n\n\nThree"), "One two.\n\nThree");
        assert_eq!(inline_text("Tom &amp; <i>Jerry</i>"), "Tom & Jerry");
    }
}
