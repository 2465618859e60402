//! The article parser and validator: any bytes either fail with an error or give an article
//! that can be turned into an index document; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsindex::article::parse_article_json;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = parse_article_json(data) {
        if let Ok(article) = input.into_article(|_, _, _| vec![]) {
            // What is stored must serialize back to an article that parses again.
            let json = serde_json::to_vec(&article).expect("serialize");
            let again = parse_article_json(&json).expect("a stored article parses back");
            again
                .into_article(|_, _, _| vec![])
                .expect("a stored article validates again");
        }
    }
});
