//! Measures the entity extractor against the Reuters-21578 PLACES, PEOPLE and ORGS labels.
//!
//! - Eligible: every article of the split. `--split report` (the default) takes even NEWIDs,
//!   `--split tune` odd ones (`even` and `odd` are kept as aliases). The extractor was tuned on
//!   odd NEWIDs only, so `report` is the held-out measure; `--split all` (both parities) mixes
//!   tuning and reporting articles and is only for reference.
//! - Sample: per seed of `--seeds` (default 1,2,3,4,5), `--n` articles (default 2,000) drawn at
//!   random without replacement from the eligible ones (splitmix64, in this file); `--all`
//!   measures every eligible article instead, once. An article drawn by several seeds is
//!   extracted once.
//! - Measured per seed, over its sample: per type (place, place without `usa`, person, org) the
//!   labels, the extracted entities, recall (labels matched by an extracted entity over labels)
//!   and precision (extracted entities matching a label over extracted), pooled over the
//!   sample's articles, and their F1. Printed: the split, seeds, sample size and number of
//!   eligible articles, then each figure as mean over seeds, min–max over seeds and per-seed
//!   values. The non-US place recall's mean over seeds is checked against its target of 0.85
//!   (exit status 1 below it).
//! - Input: the article is extracted as the server does when it is posted without its
//!   labels: title, and the body with the story's dateline ("LONDON, Feb 26 -") at its head,
//!   where the original wire text had it; `--no-dateline` leaves the dateline out (the
//!   measure before the server read datelines).
//!
//! ```text
//! cargo run --release --example extract_quality -- [PATH] [--split tune|report|all]
//!     [--n 2000] [--seeds 1,2,3,4,5] [--all] [--misses] [--no-dateline] [--credit-cities]
//! ```
//!
//! PATH defaults to `data/reuters21578.ndjson.gz` of this repository. `--misses` also lists the
//! non-US place codes most often missed (over every distinct article measured), and
//! `EXTRACT_DEBUG=reuters-N` prints what the extractor found in that story (of any split).
//!
//! A label matches only the place itself: the extractor reports a city's country beside the
//! city ("Tokyo" and "Japan"). `--credit-cities` also counts a country label as found when
//! only one of its cities was (the `country` column of `data/gazetteer/cities.tsv` and
//! `subdivisions.tsv`), the measure of sessions before the extractor did that itself.
//!
//! Reuters labels are document-level *focus* labels: a story that mentions ten countries is
//! labelled with the two it is about, so precision against them is low by construction; recall
//! is the meaningful figure. The labels are lower-case codes; they are mapped to the
//! extractor's canonical names here, in the tool, never in the extractor.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;
use std::time::Instant;

#[path = "sampling/mod.rs"]
mod sampling;
use sampling::{draw, join, spread};

use flate2::read::GzDecoder;
use newsindex::extract::extract_entities;
use serde::Deserialize;

const PLACE_CODES: &str = include_str!("reuters_places.tsv");
const WITHIN_COUNTRY: [&str; 2] = [
    include_str!("../data/gazetteer/cities.tsv"),
    include_str!("../data/gazetteer/subdivisions.tsv"),
];

/// ORGS codes -> the extractor's canonical names for them.
const ORG_CODES: &[(&str, &[&str])] = &[
    ("adb-africa", &["African Development Bank"]),
    ("adb-asia", &["Asian Development Bank"]),
    (
        "aibd",
        &["Asia-Pacific Institute for Broadcasting Development"],
    ),
    ("aid", &["Agency for International Development"]),
    (
        "anrpc",
        &["Association of Natural Rubber Producing Countries"],
    ),
    ("asean", &["Association of Southeast Asian Nations"]),
    ("atpc", &["Association of Tin Producing Countries"]),
    ("bis", &["Bank for International Settlements"]),
    (
        "cipec",
        &["Intergovernmental Council of Copper Exporting Countries"],
    ),
    ("comecon", &["Council for Mutual Economic Assistance"]),
    (
        "ec",
        &[
            "European Community",
            "European Commission",
            "Council of Ministers",
            "European Parliament",
        ],
    ),
    ("eca", &["Economic Commission for Africa"]),
    (
        "ecafe",
        &["Economic and Social Commission for Asia and the Pacific"],
    ),
    ("ece", &["Economic Commission for Europe"]),
    ("ecla", &["Economic Commission for Latin America"]),
    ("ecsc", &["European Coal and Steel Community"]),
    ("ecwa", &["Economic Commission for Western Asia"]),
    ("efta", &["European Free Trade Association"]),
    ("eib", &["European Investment Bank"]),
    ("emcf", &["European Monetary Cooperation Fund"]),
    (
        "escap",
        &["Economic and Social Commission for Asia and the Pacific"],
    ),
    ("euratom", &["European Atomic Energy Community"]),
    ("fao", &["Food and Agriculture Organization"]),
    ("gatt", &["General Agreement on Tariffs and Trade"]),
    ("gcc", &["Gulf Cooperation Council"]),
    (
        "geplacea",
        &["Group of Latin American and Caribbean Sugar Exporting Countries"],
    ),
    ("iaea", &["International Atomic Energy Agency"]),
    ("iata", &["International Air Transport Association"]),
    ("icco", &["International Cocoa Organization"]),
    ("ico-coffee", &["International Coffee Organization"]),
    ("ico-islam", &["Organization of the Islamic Conference"]),
    ("ida", &["International Development Association"]),
    ("iea", &["International Energy Agency"]),
    ("iisi", &["International Iron and Steel Institute"]),
    ("ilo", &["International Labour Organization"]),
    ("ilzsg", &["International Lead and Zinc Study Group"]),
    ("imco", &["International Maritime Organization"]),
    ("imf", &["International Monetary Fund"]),
    ("inro", &["International Natural Rubber Organization"]),
    ("irsg", &["International Rubber Study Group"]),
    ("isa", &["International Sugar Organization"]),
    ("itc", &["International Tin Council"]),
    ("iwc-whale", &["International Whaling Commission"]),
    ("iwc-wheat", &["International Wheat Council"]),
    ("iwcc", &["International Wrought Copper Council"]),
    ("iws", &["International Wool Secretariat"]),
    ("iwto", &["International Wool Textile Organisation"]),
    ("lafta", &["Latin American Integration Association"]),
    ("mfa", &["Multi-Fibre Arrangement"]),
    (
        "oapec",
        &["Organization of Arab Petroleum Exporting Countries"],
    ),
    (
        "oecd",
        &["Organization for Economic Cooperation and Development"],
    ),
    ("opec", &["Organization of Petroleum Exporting Countries"]),
    (
        "un",
        &[
            "United Nations",
            "UN Security Council",
            "UN General Assembly",
        ],
    ),
    ("unctad", &["UN Conference on Trade and Development"]),
    ("who", &["World Health Organization"]),
    ("worldbank", &["World Bank"]),
];

#[derive(Deserialize)]
struct Article {
    id: String,
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    entities: Vec<Label>,
    #[serde(default)]
    dateline: Option<String>,
}

#[derive(Deserialize)]
struct Label {
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    labels: usize,
    recalled: usize,
    extracted: usize,
    correct: usize,
}

impl Tally {
    fn recall(&self) -> f64 {
        ratio(self.recalled, self.labels)
    }
    fn precision(&self) -> f64 {
        ratio(self.correct, self.extracted)
    }
    fn f1(&self) -> f64 {
        let (r, p) = (self.recall(), self.precision());
        if r + p > 0.0 {
            2.0 * r * p / (r + p)
        } else {
            0.0
        }
    }
    fn add(&mut self, o: &Tally) {
        self.labels += o.labels;
        self.recalled += o.recalled;
        self.extracted += o.extracted;
        self.correct += o.correct;
    }
}

/// The types measured, in the order of [`Measured::tallies`].
const TYPES: [&str; 4] = ["place", "place (non-usa)", "person", "org"];
/// Index of the non-US places in [`TYPES`]: recall only (the extractor's places are not told
/// apart by country).
const NON_US: usize = 1;
const NON_US_TARGET: f64 = 0.85;

/// One article's figures.
#[derive(Default)]
struct Measured {
    tallies: [Tally; 4],
    /// Non-US place codes it was labelled with and the extractor missed.
    missed: Vec<String>,
    /// Label codes that the tool has no names for.
    unmapped: Vec<String>,
}

struct Options {
    path: String,
    /// `tune`, `report` or `all`.
    split: &'static str,
    /// NEWID parity of the split's articles; `None` for both.
    parity: Option<u64>,
    n: usize,
    seeds: Vec<u64>,
    all: bool,
    show_misses: bool,
    with_dateline: bool,
    /// Count a country label as found when only one of its cities was (the measure of
    /// sessions before the extractor reported a city's country itself).
    credit_cities: bool,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// "Javier Perez de Cuellar" -> "javier-perez-de-cuellar", comparable with PEOPLE codes.
fn person_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// A PEOPLE code is a surname ("volcker") or a full name ("perez-de-cuellar"):
/// an extracted person matches when its name ends with the code.
fn person_matches(code: &str, extracted: &str) -> bool {
    let key = person_key(extracted);
    key == code || key.ends_with(&format!("-{code}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("extract_quality: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The names a code of each kind stands for.
struct Codes<'a> {
    places: HashMap<&'a str, Vec<&'a str>>,
    orgs: HashMap<&'a str, &'a [&'a str]>,
}

fn codes(credit_cities: bool) -> Codes<'static> {
    let mut place_names: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in PLACE_CODES
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (code, names) = line.split_once('\t').expect("code<TAB>names");
        place_names.insert(code, names.split('|').collect());
    }
    // Cities count for their country ("Tokyo" for `japan`).
    let mut cities_in: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in WITHIN_COUNTRY
        .iter()
        .flat_map(|f| f.lines())
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        if let (Some(city), Some(country)) = (cols.first(), cols.get(3)) {
            cities_in.entry(country).or_default().push(city);
        }
    }
    for names in place_names.values_mut().filter(|_| credit_cities) {
        let cities: Vec<&str> = names
            .iter()
            .flat_map(|n| cities_in.get(n).into_iter().flatten().copied())
            .collect();
        names.extend(cities);
    }
    Codes {
        places: place_names,
        orgs: ORG_CODES.iter().copied().collect(),
    }
}

fn run() -> Result<ExitCode, String> {
    let run_started = Instant::now();
    let opts = parse_args()?;
    let codes = codes(opts.credit_cities);
    let path = &opts.path;

    // The eligible articles, in file order (so that a seed draws the same articles from run
    // to run).
    let file = File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let reader = BufReader::new(GzDecoder::new(file));
    let mut eligible: Vec<Article> = Vec::new();
    let mut read = 0usize;
    for (lineno, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{path}: read error at line {}: {e}", lineno + 1))?;
        let art: Article = serde_json::from_str(&line)
            .map_err(|e| format!("{path}:{}: bad JSON: {e}", lineno + 1))?;
        read += 1;
        if std::env::var("EXTRACT_DEBUG").is_ok_and(|v| v == art.id) {
            eprintln!(
                "{:#?}",
                extract_entities(&art.title, "", &input_body(&art, opts.with_dateline))
            );
        }
        let newid: u64 = art
            .id
            .strip_prefix("reuters-")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if opts.parity.is_none_or(|p| newid % 2 == p) {
            eligible.push(art);
        }
    }
    if eligible.is_empty() {
        return Err("no eligible article in the split".into());
    }
    let samples: Vec<Vec<usize>> = if opts.all {
        vec![(0..eligible.len()).collect()]
    } else {
        opts.seeds
            .iter()
            .map(|&seed| draw(eligible.len(), opts.n, seed))
            .collect()
    };

    // Seeds draw overlapping samples: each article is extracted once.
    let started = Instant::now();
    let mut measured: Vec<Option<Measured>> = (0..eligible.len()).map(|_| None).collect();
    let mut bytes = 0usize;
    for &e in samples.iter().flatten() {
        if measured[e].is_none() {
            let art = &eligible[e];
            bytes += art.title.len() + art.body.len();
            measured[e] = Some(measure(art, &codes, opts.with_dateline));
        }
    }
    let extract_secs = started.elapsed().as_secs_f64();
    let distinct = measured.iter().flatten().count();

    // Per seed, per type: the tallies pooled over the seed's sample.
    let per_seed: Vec<[Tally; 4]> = samples
        .iter()
        .map(|sample| {
            let mut sum = [Tally::default(); 4];
            for &e in sample {
                let m = measured[e].as_ref().expect("measured");
                for (t, tally) in sum.iter_mut().enumerate() {
                    tally.add(&m.tallies[t]);
                }
            }
            sum
        })
        .collect();

    let sampling = if opts.all {
        "--all: every eligible article, once".to_string()
    } else {
        format!(
            "seeds {}, {} articles per seed",
            join(&opts.seeds),
            samples[0].len()
        )
    };
    println!("extract_quality: {path} ({read} articles)");
    println!(
        "split: {} ({}), {sampling}, {} eligible (every article of the split); {distinct} distinct articles extracted; tuning used odd NEWIDs only",
        opts.split,
        match opts.parity {
            Some(0) => "even NEWIDs",
            Some(_) => "odd NEWIDs",
            None => "odd and even NEWIDs: tuning and reporting articles mixed",
        },
        eligible.len(),
    );
    println!(
        "input: title + body{}; {}",
        if opts.with_dateline {
            " with the dateline put back at its head"
        } else {
            " as stored (no dateline)"
        },
        if opts.credit_cities {
            "a country label also matches its cities (--credit-cities)"
        } else {
            "a label matches only the place itself (the extractor reports a city's country)"
        }
    );
    println!("labels are Reuters document-level focus labels: precision is a lower bound");
    println!();
    println!("mean over seeds (min–max over seeds); per seed in the order of the seeds");
    println!();
    println!("| type | figure | mean (min–max) | per seed |");
    println!("|---|---|---|---|");
    type Figure = (&'static str, fn(&Tally) -> f64, &'static str);
    let figures: [Figure; 5] = [
        ("labels", |t| t.labels as f64, "count"),
        ("extracted", |t| t.extracted as f64, "count"),
        ("recall", Tally::recall, "ratio"),
        ("precision", Tally::precision, "ratio"),
        ("f1", Tally::f1, "ratio"),
    ];
    for (t, name) in TYPES.iter().enumerate() {
        for (figure, value, kind) in &figures {
            if t == NON_US && !matches!(*figure, "labels" | "recall") {
                continue;
            }
            let values: Vec<f64> = per_seed.iter().map(|s| value(&s[t])).collect();
            print_row(name, figure, &values, *kind == "count");
        }
    }
    println!();

    let non_us: Vec<&Tally> = per_seed.iter().map(|s| &s[NON_US]).collect();
    let recalls: Vec<f64> = non_us.iter().map(|t| t.recall()).collect();
    let (mean, min, max) = spread(&recalls);
    let below = recalls.iter().filter(|&&r| r < NON_US_TARGET).count();
    let ok = mean >= NON_US_TARGET;
    let each: Vec<String> = non_us
        .iter()
        .map(|t| format!("{}/{}", t.recalled, t.labels))
        .collect();
    println!(
        "non-US place recall {mean:.4} mean over seeds ({min:.4}–{max:.4}; {}) (target >= {NON_US_TARGET}, on the mean): {}; {below} of {} seeds below the target",
        each.join(" "),
        if ok { "PASS" } else { "FAIL" },
        recalls.len(),
    );
    if opts.show_misses {
        let mut misses: HashMap<&str, (usize, Vec<&str>)> = HashMap::new();
        for (e, m) in measured.iter().enumerate() {
            for code in m.iter().flat_map(|m| &m.missed) {
                let entry = misses.entry(code).or_default();
                entry.0 += 1;
                if entry.1.len() < 5 {
                    entry.1.push(&eligible[e].id);
                }
            }
        }
        let mut m: Vec<_> = misses.into_iter().collect();
        m.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        let top: Vec<String> = m
            .iter()
            .take(15)
            .map(|(code, (n, ids))| format!("{code}:{n} (e.g. {})", ids.join(" ")))
            .collect();
        println!(
            "most missed non-US places ({distinct} distinct articles): {}",
            top.join(", ")
        );
    }
    let mut unmapped: Vec<&str> = measured
        .iter()
        .flatten()
        .flat_map(|m| m.unmapped.iter().map(String::as_str))
        .collect();
    unmapped.sort_unstable();
    unmapped.dedup();
    if !unmapped.is_empty() {
        println!("unmapped label codes: {}", unmapped.join(" "));
    }
    println!(
        "time: {:.2}s in all; extracting {distinct} articles {extract_secs:.2}s ({:.1} MB/s of title+body)",
        run_started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6 / extract_secs
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        path: concat!(env!("CARGO_MANIFEST_DIR"), "/data/reuters21578.ndjson.gz").to_string(),
        split: "report",
        parity: Some(0),
        n: 2000,
        seeds: vec![1, 2, 3, 4, 5],
        all: false,
        show_misses: false,
        with_dateline: true,
        credit_cities: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--split" => {
                (opts.split, opts.parity) = match value()?.as_str() {
                    "report" | "even" => ("report", Some(0)),
                    "tune" | "odd" => ("tune", Some(1)),
                    "all" => ("all", None),
                    other => {
                        return Err(format!(
                            "--split must be tune, report or all (odd or even), not {other:?}"
                        ))
                    }
                }
            }
            "--n" => opts.n = value()?.parse().map_err(|e| format!("--n: {e}"))?,
            "--seeds" => {
                let list = value()?;
                opts.seeds = list
                    .split(',')
                    .map(|s| s.trim().parse())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--seeds: not a list of integers: {list:?}: {e}"))?;
            }
            "--all" => opts.all = true,
            "--misses" => opts.show_misses = true,
            "--with-dateline" => opts.with_dateline = true,
            "--no-dateline" => opts.with_dateline = false,
            "--credit-cities" => opts.credit_cities = true,
            other if other.starts_with("--") => return Err(format!("unknown flag {other}")),
            other => opts.path = other.to_string(),
        }
    }
    if opts.n == 0 {
        return Err("--n must be at least 1".into());
    }
    if opts.seeds.is_empty() {
        return Err("--seeds needs at least one seed".into());
    }
    Ok(opts)
}

/// The body given to the extractor.
fn input_body(art: &Article, with_dateline: bool) -> String {
    match (&art.dateline, with_dateline) {
        (Some(d), true) => format!("{d} - {}", art.body),
        _ => art.body.clone(),
    }
}

/// Extracts one article, as if posted without its labels, and compares with its labels.
fn measure(art: &Article, codes: &Codes, with_dateline: bool) -> Measured {
    let mut m = Measured::default();
    let found = extract_entities(&art.title, "", &input_body(art, with_dateline));
    let of_type = |t: &str| -> Vec<&str> {
        found
            .iter()
            .filter(|e| e.entity_type == t)
            .map(|e| e.name.as_str())
            .collect()
    };
    let (places, people, orgs) = (of_type("place"), of_type("person"), of_type("org"));

    let mut label_places: Vec<&str> = Vec::new();
    let mut label_people: Vec<&str> = Vec::new();
    let mut label_orgs: Vec<&str> = Vec::new();
    for l in &art.entities {
        match l.kind.as_str() {
            "place" => label_places.push(&l.name),
            "person" => label_people.push(&l.name),
            "org" => label_orgs.push(&l.name),
            _ => {}
        }
    }
    let [place, non_us_place, person, org] = &mut m.tallies;

    // Places.
    let place_hit =
        |code: &str, name: &str| codes.places.get(code).is_some_and(|ns| ns.contains(&name));
    for code in &label_places {
        if !codes.places.contains_key(code) {
            m.unmapped.push(format!("place:{code}"));
        }
        let hit = places.iter().any(|p| place_hit(code, p));
        place.labels += 1;
        place.recalled += usize::from(hit);
        if *code != "usa" {
            non_us_place.labels += 1;
            non_us_place.recalled += usize::from(hit);
            if !hit {
                m.missed.push(code.to_string());
            }
        }
    }
    for p in &places {
        place.extracted += 1;
        place.correct += usize::from(label_places.iter().any(|c| place_hit(c, p)));
    }

    // People.
    for code in &label_people {
        person.labels += 1;
        person.recalled += usize::from(people.iter().any(|p| person_matches(code, p)));
    }
    for p in &people {
        person.extracted += 1;
        person.correct += usize::from(label_people.iter().any(|c| person_matches(c, p)));
    }

    // Organisations.
    let org_hit =
        |code: &str, name: &str| codes.orgs.get(code).is_some_and(|ns| ns.contains(&name));
    for code in &label_orgs {
        if !codes.orgs.contains_key(code) {
            m.unmapped.push(format!("org:{code}"));
        }
        org.labels += 1;
        org.recalled += usize::from(orgs.iter().any(|o| org_hit(code, o)));
    }
    for o in &orgs {
        org.extracted += 1;
        org.correct += usize::from(label_orgs.iter().any(|c| org_hit(c, o)));
    }
    m
}

fn print_row(name: &str, figure: &str, values: &[f64], count: bool) {
    let (mean, min, max) = spread(values);
    let (cell, each): (String, Vec<String>) = if count {
        (
            format!("{mean:.0} ({min:.0}–{max:.0})"),
            values.iter().map(|v| format!("{v:.0}")).collect(),
        )
    } else {
        (
            format!("{mean:.3} ({min:.3}–{max:.3})"),
            values.iter().map(|v| format!("{v:.3}")).collect(),
        )
    };
    println!("| {name} | {figure} | {cell} | {} |", each.join(" "));
}
