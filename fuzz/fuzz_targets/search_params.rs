//! Query handling: any query string goes through `SearchParams::from_pairs`, `into_request`
//! and `run_search` on a small in-RAM index (and the same `q`, with `language`, through
//! suggestions) without a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use newsindex::analysis::Lang;
use newsindex::config::Config;
use newsindex::index::NewsIndex;
use newsindex::query::params::SearchParams;
use newsindex::query::run_search;
use newsindex::query::suggest::Suggester;

struct Fixture {
    index: NewsIndex,
    config: Config,
    suggester: Suggester,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut config = Config::default();
        config.writer.threads = 1;
        config.writer.heap_mb = 15;
        let index = NewsIndex::create_in_ram(&config.writer).expect("index");
        let docs = [
            r#"{"id":"a","title":"Cocoa prices rise in Ghana","body":"Cocoa futures rose sharply.","authors":["Ann Lee"],"published_at":"1987-03-02","tags":["commodities/cocoa","world/africa"],"entities":[{"name":"Ghana","type":"place"}],"language":"en","source":"Wire","views":10}"#,
            r#"{"id":"b","title":"Oil output cut","summary":"OPEC agrees","body":"Crude oil prices climbed after the cut.","author":"Bo Chen","published_at":"1987-04-10T12:00:00Z","tags":["energy/crude"],"entities":["OPEC"],"language":"en"}"#,
            r#"{"id":"c","title":"Économie: la Bourse recule","body":"Le CAC 40 a reculé.","published_at":"2024-06-22T05:03:00+07:00","tags":["markets"],"language":"fr","views":0}"#,
            r#"{"id":"d","title":"Wheat exports to the Soviet Union","body":"USDA said wheat exports rose.","published_at":"1987-03-20","tags":["grain/wheat"],"entities":[{"name":"USDA","type":"org"}]}"#,
        ];
        let ops = docs
            .iter()
            .map(|d| {
                let a = newsindex::article::parse_article_json(d.as_bytes())
                    .unwrap()
                    .into_article(|_, _, _| vec![])
                    .unwrap();
                index.upsert_op(&a).unwrap()
            })
            .collect();
        index.writer().apply_blocking(ops, true).expect("write");
        Fixture {
            index,
            config,
            suggester: Suggester::new(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    if let Some((_, q)) = pairs.iter().find(|(k, _)| k == "q") {
        // `language` as `/suggest` takes it: a checked tag, else the request is refused.
        let language = match pairs.iter().find(|(k, _)| k == "language") {
            None => Ok(None),
            Some((_, v)) => Lang::check_tag(v).map(Some),
        };
        if let (true, Ok(language)) = (q.chars().count() <= 200, language) {
            let _ = f.suggester.suggest(&f.index, q, 8, language.as_deref());
        }
    }
    let Ok(params) = SearchParams::from_pairs(pairs) else {
        return;
    };
    let Ok(req) = params.into_request(&f.config.limits) else {
        return;
    };
    if let Err(e) = run_search(&f.index, &f.config.search, &req) {
        // A request that validated must not fail as the server's fault.
        assert!(
            !matches!(
                e,
                newsindex::Error::Internal(_) | newsindex::Error::Index(_)
            ),
            "{e}"
        );
    }
});
