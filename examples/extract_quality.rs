//! Measures the entity extractor against the Reuters-21578 PLACES, PEOPLE and
//! ORGS labels.
//!
//! Usage: `cargo run --release --example extract_quality -- [PATH] [--split odd|even|all]`
//! (PATH defaults to `data/reuters21578.ndjson.gz`; the split to `even`).
//! `--misses` also lists the non-US place codes most often missed, and
//! `EXTRACT_DEBUG=reuters-N` prints what the extractor found in that story.
//! `--with-dateline` puts the story's dateline ("LONDON, Feb 26 -") back at the
//! head of the body, where the original wire text had it; without it the body
//! is sent exactly as stored.
//!
//! A country label also matches the extractor's cities in that country (the
//! `country` column of `data/gazetteer/cities.tsv` and `subdivisions.tsv`): the extractor keeps
//! "Tokyo" as its own place, and a story about Tokyo is about Japan.
//!
//! The extractor was tuned on odd NEWIDs only, so `even` is the held-out report.
//! Reuters labels are document-level *focus* labels: a story that mentions ten
//! countries is labelled with the two it is about, so precision against them is
//! low by construction; recall is the meaningful figure. The labels are
//! lower-case codes; they are mapped to the extractor's canonical names here, in
//! the tool, never in the extractor.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;

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
    let mut path = String::from("data/reuters21578.ndjson.gz");
    let mut split = String::from("even");
    let mut show_misses = false;
    let mut with_dateline = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--split" => split = args.next().unwrap_or_default(),
            "--misses" => show_misses = true,
            "--with-dateline" => with_dateline = true,
            _ => path = a,
        }
    }
    let keep: fn(u64) -> bool = match split.as_str() {
        "odd" => |n| n % 2 == 1,
        "even" => |n| n % 2 == 0,
        "all" => |_| true,
        other => {
            eprintln!("--split must be odd, even or all, not {other:?}");
            return ExitCode::FAILURE;
        }
    };

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
    for names in place_names.values_mut() {
        let cities: Vec<&str> = names
            .iter()
            .flat_map(|n| cities_in.get(n).into_iter().flatten().copied())
            .collect();
        names.extend(cities);
    }
    let org_names: HashMap<&str, &[&str]> = ORG_CODES.iter().copied().collect();

    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot open {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let reader = BufReader::new(GzDecoder::new(file));

    let mut place = Tally::default();
    let mut non_us_place = Tally::default();
    let mut person = Tally::default();
    let mut org = Tally::default();
    let mut docs = 0usize;
    let mut bytes = 0usize;
    let mut unmapped: HashSet<String> = HashSet::new();
    let mut misses: HashMap<String, (usize, Vec<String>)> = HashMap::new();
    let started = std::time::Instant::now();

    for (lineno, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{path}: read error at line {}: {e}", lineno + 1);
                return ExitCode::FAILURE;
            }
        };
        let art: Article = match serde_json::from_str(&line) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{path}:{}: bad JSON: {e}", lineno + 1);
                return ExitCode::FAILURE;
            }
        };
        let newid: u64 = art
            .id
            .strip_prefix("reuters-")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if !keep(newid) {
            continue;
        }
        docs += 1;
        bytes += art.title.len() + art.body.len();
        // The article is extracted as if posted without its labels.
        let body = match (&art.dateline, with_dateline) {
            (Some(d), true) => format!("{d} - {}", art.body),
            _ => art.body.clone(),
        };
        if std::env::var("EXTRACT_DEBUG").is_ok_and(|v| v == art.id) {
            eprintln!("{:#?}", extract_entities(&art.title, "", &body));
        }
        let found = extract_entities(&art.title, "", &body);
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

        // Places.
        let place_hit =
            |code: &str, name: &str| place_names.get(code).is_some_and(|ns| ns.contains(&name));
        for code in &label_places {
            if !place_names.contains_key(code) {
                unmapped.insert(format!("place:{code}"));
            }
            let hit = places.iter().any(|p| place_hit(code, p));
            place.labels += 1;
            place.recalled += usize::from(hit);
            if *code != "usa" {
                non_us_place.labels += 1;
                non_us_place.recalled += usize::from(hit);
                if !hit && show_misses {
                    let e = misses.entry(code.to_string()).or_default();
                    e.0 += 1;
                    if e.1.len() < 5 {
                        e.1.push(art.id.clone());
                    }
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
            |code: &str, name: &str| org_names.get(code).is_some_and(|ns| ns.contains(&name));
        for code in &label_orgs {
            if !org_names.contains_key(code) {
                unmapped.insert(format!("org:{code}"));
            }
            org.labels += 1;
            org.recalled += usize::from(orgs.iter().any(|o| org_hit(code, o)));
        }
        for o in &orgs {
            org.extracted += 1;
            org.correct += usize::from(label_orgs.iter().any(|c| org_hit(c, o)));
        }
    }
    let secs = started.elapsed().as_secs_f64();

    println!("extract_quality: {path}");
    println!(
        "split: {split} NEWIDs ({docs} articles, {:.1} MB title+body; tuning used odd NEWIDs only)",
        bytes as f64 / 1e6
    );
    println!(
        "input: title + body{}; a country label also matches its cities",
        if with_dateline {
            " with the dateline put back at its head"
        } else {
            " as stored (no dateline)"
        }
    );
    println!("labels are Reuters document-level focus labels: precision is a lower bound");
    println!();
    println!(
        "{:<16} {:>7} {:>9} {:>7} {:>9} {:>9}",
        "type", "labels", "extracted", "recall", "precision", "f1"
    );
    for (name, t) in [
        ("place", place),
        ("place (non-usa)", non_us_place),
        ("person", person),
        ("org", org),
    ] {
        let (r, p) = (t.recall(), t.precision());
        let f1 = if r + p > 0.0 {
            2.0 * r * p / (r + p)
        } else {
            0.0
        };
        if name == "place (non-usa)" {
            println!(
                "{:<16} {:>7} {:>9} {:>7.3} {:>9} {:>9}",
                name, t.labels, "-", r, "-", "-"
            );
        } else {
            println!(
                "{:<16} {:>7} {:>9} {:>7.3} {:>9.3} {:>9.3}",
                name, t.labels, t.extracted, r, p, f1
            );
        }
    }
    println!();
    let target = 0.85;
    let ok = non_us_place.recall() >= target;
    println!(
        "non-US place recall {:.4} = {}/{} (target >= {target}): {}",
        non_us_place.recall(),
        non_us_place.recalled,
        non_us_place.labels,
        if ok { "PASS" } else { "FAIL" }
    );
    if show_misses {
        let mut m: Vec<_> = misses.into_iter().collect();
        m.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
        let top: Vec<String> = m
            .iter()
            .take(15)
            .map(|(code, (n, ids))| format!("{code}:{n} (e.g. {})", ids.join(" ")))
            .collect();
        println!("most missed non-US places: {}", top.join(", "));
    }
    if !unmapped.is_empty() {
        let mut u: Vec<_> = unmapped.into_iter().collect();
        u.sort();
        println!("unmapped label codes: {}", u.join(" "));
    }
    println!(
        "time: {secs:.2}s ({:.1} MB/s including JSON and gzip)",
        bytes as f64 / 1e6 / secs
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
