//! Batches of articles: NDJSON lines or a JSON array, parsed and validated one item at a time so
//! that a bad item is reported by its line (or position) and id and never stops the good ones.
//! Shared by `POST /articles`, `newsindex ingest` and the demo corpus loader.

use std::io::{BufRead, Read};
use std::path::Path;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::article::{parse_article_json, Article};
use crate::extract::extract_entities;

/// A batch item that was not stored.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ItemError {
    /// NDJSON line number, or 1-based position in a JSON array.
    pub line: usize,
    /// The item's id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wrong, naming the field.
    pub error: String,
}

/// Parses and validates one item; entities are extracted when none were sent.
pub fn parse_item(line: usize, bytes: &[u8]) -> Result<Article, ItemError> {
    parse_article_json(bytes)
        .and_then(|input| input.into_article(extract_entities))
        .map_err(|e| ItemError {
            line,
            id: id_of(bytes),
            error: e.to_string(),
        })
}

/// Best effort: the `id` of a JSON object that failed validation.
fn id_of(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<serde_json::Value>,
    }
    let v: IdOnly = serde_json::from_slice(bytes).ok()?;
    match v.id? {
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// Whether a body is a JSON array (first non-blank byte is `[`) rather than NDJSON.
pub fn looks_like_json_array(head: &[u8]) -> bool {
    head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// Splits a JSON array body into its items without parsing them into articles yet.
pub fn split_json_array(body: &[u8]) -> Result<Vec<Box<RawValue>>, String> {
    serde_json::from_slice::<Vec<Box<RawValue>>>(body)
        .map_err(|e| format!("invalid JSON array: {e}"))
}

/// Why a JSON array body was not split.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayError {
    /// Not a JSON array; says where it breaks.
    Invalid(String),
    /// More items than allowed (the number allowed).
    TooManyItems(usize),
}

/// The byte ranges of a JSON array body's items, without parsing them into articles and
/// without an allocation per item beyond its range; more than `max_items` items is an error
/// as soon as the next one is seen (so `[0,0,0,…]` of any size costs at most `max_items`
/// ranges, never one value per item).
pub fn json_array_items(
    body: &[u8],
    max_items: usize,
) -> Result<Vec<std::ops::Range<usize>>, ArrayError> {
    use serde::de::{Deserializer as _, Error as _, SeqAccess, Visitor};

    struct Items<'b> {
        base: usize,
        max: usize,
        _body: std::marker::PhantomData<&'b ()>,
    }
    impl<'de> Visitor<'de> for Items<'de> {
        type Value = Vec<std::ops::Range<usize>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of articles")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                if out.len() == self.max {
                    return Err(A::Error::custom(TOO_MANY));
                }
                let start = raw.get().as_ptr() as usize - self.base;
                out.push(start..start + raw.get().len());
            }
            Ok(out)
        }
    }
    const TOO_MANY: &str = "\u{0}too many items";
    let mut de = serde_json::Deserializer::from_slice(body);
    let items = Items {
        base: body.as_ptr() as usize,
        max: max_items,
        _body: std::marker::PhantomData,
    };
    let out = de.deserialize_seq(items).and_then(|v| de.end().map(|()| v));
    out.map_err(|e| {
        if e.to_string().starts_with(TOO_MANY) {
            ArrayError::TooManyItems(max_items)
        } else {
            ArrayError::Invalid(format!("invalid JSON array: {e}"))
        }
    })
}

/// Reads every article of a file (NDJSON, a JSON array, or either gzipped when the name ends in
/// `.gz`), calling `each` with the item's result.
pub fn read_file(
    path: &Path,
    mut each: impl FnMut(Result<Article, ItemError>),
) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    read_stream(
        std::io::BufReader::with_capacity(1 << 20, reader),
        &mut each,
    )
}

/// [`read_file`] on any buffered reader.
pub fn read_stream(
    mut reader: impl BufRead,
    each: &mut dyn FnMut(Result<Article, ItemError>),
) -> std::io::Result<()> {
    if looks_like_json_array(reader.fill_buf()?) {
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        match split_json_array(&body) {
            Ok(items) => {
                for (i, raw) in items.iter().enumerate() {
                    each(parse_item(i + 1, raw.get().as_bytes()));
                }
            }
            Err(error) => each(Err(ItemError {
                line: 1,
                id: None,
                error,
            })),
        }
        return Ok(());
    }
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        each(parse_item(n, &line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_reports_bad_lines_by_number_and_id() {
        let text = "{\"id\":\"a\",\"title\":\"A\"}\n\n{\"id\":\"b\"}\nnot json\n{\"id\":\"c\",\"title\":\"C\",\"tilte\":1}\n{\"id\":\"d\",\"title\":\"D\"}";
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        read_stream(text.as_bytes(), &mut |r| match r {
            Ok(a) => ok.push(a.id),
            Err(e) => bad.push(e),
        })
        .unwrap();
        assert_eq!(ok, vec!["a", "d"]);
        assert_eq!(
            bad.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert_eq!(bad[0].id.as_deref(), Some("b"));
        assert!(bad[0].error.contains("`title`"));
        assert_eq!(bad[1].id, None);
        assert!(bad[2].error.contains("`tilte`"), "{}", bad[2].error);
    }

    #[test]
    fn json_array_items_are_ranges_and_bounded() {
        let body = br#" [ {"id":"a"} , 1,"x" ] "#;
        let items = json_array_items(body, 10).unwrap();
        let texts: Vec<&[u8]> = items.iter().map(|r| &body[r.clone()]).collect();
        assert_eq!(texts, vec![&br#"{"id":"a"}"#[..], b"1", br#""x""#]);
        assert_eq!(
            json_array_items(b"[0,0,0,0]", 3),
            Err(ArrayError::TooManyItems(3))
        );
        assert!(matches!(
            json_array_items(b"[0,", 3),
            Err(ArrayError::Invalid(_))
        ));
        assert!(matches!(
            json_array_items(b"[0] x", 3),
            Err(ArrayError::Invalid(_))
        ));
    }

    #[test]
    fn json_array_items_are_numbered_by_position() {
        let text = r#" [{"id":"a","title":"A"}, {"id":"b","title":""}]"#;
        let mut results = Vec::new();
        read_stream(text.as_bytes(), &mut |r| results.push(r)).unwrap();
        assert!(results[0].is_ok());
        let err = results[1].as_ref().unwrap_err();
        assert_eq!((err.line, err.id.as_deref()), (2, Some("b")));
    }
}
