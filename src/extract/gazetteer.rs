//! The gazetteer: known places and organisations with their aliases, matched
//! with one Aho-Corasick automaton built once per process.
//!
//! Canonical policy (also in `data/gazetteer/README.md`): every alias and
//! demonym of a country maps to the country's canonical short name ("U.S.",
//! "US", "America", "American" -> "United States"); a capital or city is a
//! place of its own ("Washington" stays "Washington", and also implies the
//! United States). Organisation acronyms
//! map to a canonical long or customary name ("U.N. Security Council" ->
//! "UN Security Council").

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::Kind;

const SOURCES: [&str; 6] = [
    include_str!("../../data/gazetteer/countries.tsv"),
    // The same countries' names in 17 other languages, from the Unicode CLDR.
    include_str!("../../data/gazetteer/countries-i18n.tsv"),
    include_str!("../../data/gazetteer/cities.tsv"),
    include_str!("../../data/gazetteer/subdivisions.tsv"),
    include_str!("../../data/gazetteer/regions.tsv"),
    include_str!("../../data/gazetteer/orgs.tsv"),
];

/// Acronyms that are also ordinary English words: in an all-caps headline they
/// are far more often the word ("FARMERS WHO ...") than the organisation.
const CAPS_AMBIGUOUS: [&str; 6] = ["WHO", "AID", "AU", "MAS", "SEC", "ISO"];

#[derive(Debug)]
pub(crate) struct Entry {
    pub name: &'static str,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct GazMatch {
    pub start: usize,
    pub end: usize,
    pub entry: u32,
    pattern: u32,
}

pub(crate) struct Gazetteer {
    pub entries: Vec<Entry>,
    /// Pattern id -> entry index.
    pattern_entry: Vec<u32>,
    /// Pattern id -> the pattern is an ambiguous acronym (see `CAPS_AMBIGUOUS`).
    caps_ambiguous: Vec<bool>,
    /// Pattern id -> places named inside it ("Bank of Japan" -> Japan).
    implied: Vec<Box<[u32]>>,
    exact: AhoCorasick,
    caps: AhoCorasick,
}

pub(crate) static GAZETTEER: LazyLock<Gazetteer> = LazyLock::new(Gazetteer::build);

impl Gazetteer {
    fn build() -> Self {
        let mut entries = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_entry = Vec::new();
        let mut seen: HashMap<String, u32> = HashMap::new();
        // (org or place entry, canonical name of its country), resolved once all entries exist.
        let mut org_country: Vec<(u32, &str)> = Vec::new();
        for source in SOURCES {
            for line in source.lines() {
                let line = line.trim_end_matches('\r');
                if line.trim().is_empty() || line.starts_with('#') {
                    continue;
                }
                let mut cols = line.split('\t');
                let name = cols.next().expect("gazetteer line has a name").trim();
                let kind = match cols.next().map(str::trim) {
                    Some("place") => Kind::Place,
                    Some("org") => Kind::Org,
                    Some("person") => Kind::Person,
                    _ => Kind::Other,
                };
                let aliases = cols.next().unwrap_or("");
                let country = cols.next().map(str::trim).filter(|c| !c.is_empty());
                let id = u32::try_from(entries.len()).expect("fewer than 2^32 entries");
                if let Some(country) = country {
                    org_country.push((id, country));
                }
                entries.push(Entry { name, kind });
                let forms = std::iter::once(name)
                    .chain(aliases.split('|').map(str::trim))
                    .filter(|a| !a.is_empty());
                for alias in forms {
                    let mut variants = vec![alias.to_string()];
                    // Demonyms take a plural: "Russians", "Iraqis". Adding it to
                    // names that never pluralise ("Japans") costs nothing.
                    if alias.ends_with("an") || alias.ends_with('i') {
                        variants.push(format!("{alias}s"));
                    }
                    variants.extend(russian_cases(alias));
                    for v in variants {
                        // First entry wins; the data test checks there are no clashes.
                        if let std::collections::hash_map::Entry::Vacant(slot) = seen.entry(v) {
                            patterns.push(slot.key().clone());
                            pattern_entry.push(id);
                            slot.insert(id);
                        }
                    }
                }
            }
        }
        let caps_ambiguous = patterns
            .iter()
            .map(|p| CAPS_AMBIGUOUS.contains(&p.as_str()))
            .collect();
        let exact = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("gazetteer patterns build an automaton");
        let caps = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(true)
            .build(&patterns)
            .expect("gazetteer patterns build an automaton");
        let mut g = Gazetteer {
            entries,
            pattern_entry,
            caps_ambiguous,
            implied: Vec::new(),
            exact,
            caps,
        };
        let by_name: HashMap<&str, u32> = g
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == Kind::Place)
            .map(|(i, e)| (e.name, u32::try_from(i).expect("fewer than 2^32 entries")))
            .collect();
        let country_of: HashMap<u32, u32> = org_country
            .iter()
            .map(|&(org, country)| {
                let place = *by_name
                    .get(country)
                    .unwrap_or_else(|| panic!("the gazetteer names unknown country {country:?}"));
                (org, place)
            })
            .collect();
        // An organisation named after a place, or a national institution, is
        // news about that place too: "Bank of Japan", "Swiss National Bank",
        // "Bundesbank", "U.S. Treasury". A city or a province is news about its
        // country, as news indexers label it: a story from London is about the
        // United Kingdom.
        let mut implied = Vec::with_capacity(patterns.len());
        let mut inner = Vec::new();
        for (pid, pattern) in patterns.iter().enumerate() {
            inner.clear();
            if g.entries[g.pattern_entry[pid] as usize].kind == Kind::Org {
                g.find_where(
                    pattern,
                    false,
                    |m| m.end - m.start < pattern.len(),
                    &mut inner,
                );
            }
            let mut places: Vec<u32> = inner
                .iter()
                .map(|m| m.entry)
                .filter(|&e| g.entries[e as usize].kind == Kind::Place)
                .collect();
            if let Some(&country) = country_of.get(&g.pattern_entry[pid]) {
                if !places.contains(&country) {
                    places.push(country);
                }
            }
            let places = places.into_boxed_slice();
            implied.push(places);
        }
        g.implied = implied;
        g
    }

    /// Places named inside the matched alias of an organisation, and the country of a
    /// national institution, a city or a province.
    pub fn implied_places(&self, m: &GazMatch) -> &[u32] {
        &self.implied[m.pattern as usize]
    }

    /// Non-overlapping, word-bounded matches in `text`, longest first at each
    /// position. `all_caps` matches case-insensitively, for upper-case headlines.
    pub fn find(&self, text: &str, all_caps: bool, out: &mut Vec<GazMatch>) {
        self.find_where(text, all_caps, |_| true, out);
    }

    fn find_where(
        &self,
        text: &str,
        all_caps: bool,
        keep_match: impl Fn(&GazMatch) -> bool,
        out: &mut Vec<GazMatch>,
    ) {
        let first = out.len();
        let ac = if all_caps { &self.caps } else { &self.exact };
        // Wire copy is hard-wrapped inside names ("Hong\nKong"). Swapping line
        // breaks for spaces keeps every byte offset, so matches map straight back.
        let flat;
        let text = if text.bytes().any(|b| b == b'\n' || b == b'\r' || b == b'\t') {
            flat = text.replace(['\n', '\r', '\t'], " ");
            flat.as_str()
        } else {
            text
        };
        for m in ac.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            if !is_boundary(text, start, end) {
                continue;
            }
            let pid = m.pattern().as_usize();
            if all_caps && self.caps_ambiguous[pid] {
                continue;
            }
            let m = GazMatch {
                start,
                end,
                entry: self.pattern_entry[pid],
                pattern: u32::try_from(pid).expect("fewer than 2^32 patterns"),
            };
            if keep_match(&m) {
                out.push(m);
            }
        }
        let found = &mut out[first..];
        found.sort_unstable_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
        // Greedy left-to-right, longest first: "North Korea" beats "Korea".
        let mut keep = first;
        let mut last_end = 0;
        for i in first..out.len() {
            let m = out[i];
            if m.start >= last_end {
                out[keep] = m;
                keep += 1;
                last_end = m.end;
            }
        }
        out.truncate(keep);
    }
}

/// The oblique cases of a one-word Russian place name, which Russian text uses more often
/// than the nominative: Россия → России, Россию, Россией; Китай → Китая, Китаю, Китаем, Китае;
/// Казахстан → Казахстана, … (names of several words or in capitals are left as they are).
fn russian_cases(name: &str) -> Vec<String> {
    let cyrillic = name.chars().all(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    if !cyrillic || name.chars().count() < 3 || name.chars().all(char::is_uppercase) {
        return Vec::new();
    }
    let stem = |n: usize| {
        name.chars()
            .take(name.chars().count() - n)
            .collect::<String>()
    };
    let with = |stem: String, endings: &[&str]| -> Vec<String> {
        endings.iter().map(|e| format!("{stem}{e}")).collect()
    };
    if name.ends_with("ия") {
        with(stem(1), &["и", "ю", "ей"])
    } else if name.ends_with('а') {
        with(stem(1), &["ы", "е", "у", "ой"])
    } else if name.ends_with('я') {
        with(stem(1), &["и", "е", "ю", "ей"])
    } else if name.ends_with('й') {
        with(stem(1), &["я", "ю", "ем", "е"])
    } else if name
        .chars()
        .last()
        .is_some_and(|c| !"аеёиоуыэюяьъ".contains(c))
    {
        with(stem(0), &["а", "у", "ом", "е"])
    } else {
        Vec::new()
    }
}

fn is_boundary(text: &str, start: usize, end: usize) -> bool {
    // Chinese and Japanese put no space around a name (中国外交部): a name written in those
    // scripts is bounded by the script itself.
    let cjk = |s: &str| {
        s.chars()
            .next()
            .is_some_and(crate::analysis::tokenizer::is_cjk)
    };
    let before_ok = cjk(&text[start..end])
        || text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '.');
    let after = text[end..].chars().next();
    let last_cjk = text[..end]
        .chars()
        .next_back()
        .is_some_and(crate::analysis::tokenizer::is_cjk);
    let after_ok = last_cjk
        || match after {
            None => true,
            // "U.S" must not stop short of "U.S.".
            Some('.') => !text[end + 1..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric),
            Some(c) => !c.is_alphanumeric(),
        };
    before_ok && after_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_unambiguous() {
        let g = &*GAZETTEER;
        let mut owner: HashMap<String, &str> = HashMap::new();
        let mut clashes = Vec::new();
        for source in SOURCES {
            for line in source
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            {
                let mut cols = line.split('\t');
                let name = cols.next().expect("name");
                let _ = cols.next();
                let aliases = cols.next().unwrap_or("");
                for a in std::iter::once(name)
                    .chain(aliases.split('|'))
                    .filter(|a| !a.is_empty())
                {
                    if let Some(prev) = owner.insert(a.to_string(), name) {
                        if prev != name {
                            clashes.push(format!("{a}: {prev} / {name}"));
                        }
                    }
                }
            }
        }
        assert!(clashes.is_empty(), "aliases with two owners: {clashes:?}");
        assert!(g.entries.len() > 600, "{} entries", g.entries.len());
    }

    #[test]
    fn longest_word_bounded_match() {
        let g = &*GAZETTEER;
        let mut out = Vec::new();
        g.find(
            "Russia-North Korea and the U.S. in Chinatown",
            false,
            &mut out,
        );
        let names: Vec<&str> = out
            .iter()
            .map(|m| g.entries[m.entry as usize].name)
            .collect();
        assert_eq!(names, ["Russia", "North Korea", "United States"]);
    }
}
