//! The HTML page reader, as the server runs it for a `text/html` upload: any bytes through
//! `formats::convert(.., Format::Html, ..)` and `formats::validate` give an article or an error,
//! never a panic; an accepted article serializes to JSON that parses and validates again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsindex::article::parse_article_json;
use newsindex::formats::{self, Format, Hints};

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the hints, so relative links and URL-derived ids are reached too.
    let Some((&sel, page)) = data.split_first() else {
        return;
    };
    let hints = Hints {
        id: (sel & 1 != 0).then(|| "fuzz-page".to_string()),
        url: (sel & 2 != 0).then(|| "https://news.example.org/world/2026/story.html".to_string()),
    };
    for (i, item) in formats::convert(page, Format::Html, &hints)
        .into_iter()
        .enumerate()
    {
        if let Ok(article) = formats::validate(i + 1, item) {
            let json = serde_json::to_vec(&article).expect("serialize");
            let again = parse_article_json(&json).expect("a stored article parses back");
            again
                .into_article(|_, _, _| vec![])
                .expect("a stored article validates again");
        }
    }
});
