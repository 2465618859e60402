//! The RSS / Atom reader, as the server runs it for a feed upload: any bytes through
//! `formats::convert(.., Format::Feed, ..)` and `formats::validate` give one result per item,
//! never a panic; every accepted article serializes to JSON that parses and validates again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsindex::article::parse_article_json;
use newsindex::formats::{self, Format, Hints};

fuzz_target!(|data: &[u8]| {
    // The first byte chooses whether the feed has a URL (the base for relative links).
    let Some((&sel, feed)) = data.split_first() else {
        return;
    };
    let hints = Hints {
        id: None,
        url: (sel & 1 != 0).then(|| "https://news.example.org/feeds/world.xml".to_string()),
    };
    for (i, item) in formats::convert(feed, Format::Feed, &hints)
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
