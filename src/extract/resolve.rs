//! Turns mentions into entities: one canonical name per entity, short forms
//! folded into the long form they abbreviate, ranked by salience.
//!
//! Folding rules, all within one document:
//! - a place whose name is the last word(s) of another found place folds into
//!   it ("Korea" into "North Korea", "Asia" into "East Asia");
//! - a lone surname ("Russel points out", "Mr Russel") folds into the full
//!   name that ends with it ("Danny Russel");
//! - a lone word that starts a found organisation ("Texaco" after
//!   "Texaco Inc") counts as a mention of it.

use std::collections::HashMap;

use super::candidates::Found;
use super::Kind;

struct Acc {
    name: String,
    kind: Kind,
    count: u32,
    first: usize,
    in_title: bool,
    folded: bool,
}

pub(crate) fn resolve(found: &Found<'_>, title: &str, title_end: usize) -> Vec<(String, Kind)> {
    let mut accs: Vec<Acc> = Vec::new();
    let mut index: HashMap<(&str, Kind), usize> = HashMap::new();
    let mut surnames: Vec<(&str, usize)> = Vec::new();
    for m in &found.mentions {
        if m.surname_only {
            surnames.push((m.name.as_ref(), m.pos));
            continue;
        }
        let slot = *index.entry((m.name.as_ref(), m.kind)).or_insert_with(|| {
            accs.push(Acc {
                name: m.name.to_string(),
                kind: m.kind,
                count: 0,
                first: m.pos,
                in_title: false,
                folded: false,
            });
            accs.len() - 1
        });
        let acc = &mut accs[slot];
        acc.count += 1;
        acc.first = acc.first.min(m.pos);
        acc.in_title |= m.pos < title_end;
    }

    fold_place_suffixes(&mut accs);

    // Surnames typed only by an honorific: fold into a full name, else keep.
    for (surname, pos) in surnames {
        match best_person_ending_with(&accs, surname) {
            Some(k) => accs[k].count += 1,
            None => {
                let k = match accs
                    .iter()
                    .position(|a| a.kind == Kind::Person && a.name == surname)
                {
                    Some(k) => k,
                    None => {
                        accs.push(Acc {
                            name: surname.to_string(),
                            kind: Kind::Person,
                            count: 0,
                            first: pos,
                            in_title: false,
                            folded: false,
                        });
                        accs.len() - 1
                    }
                };
                accs[k].count += 1;
            }
        }
    }
    for &word in &found.lone {
        if let Some(k) = best_person_ending_with(&accs, word) {
            accs[k].count += 1;
        } else if let Some(k) = accs.iter().position(|a| {
            a.kind == Kind::Org
                && a.name.len() > word.len()
                && a.name.starts_with(word)
                && a.name.as_bytes()[word.len()] == b' '
        }) {
            accs[k].count += 1;
        }
    }

    if !title.is_empty() {
        let title_lower = title.to_lowercase();
        for a in accs.iter_mut().filter(|a| !a.in_title) {
            a.in_title = title_lower.contains(&a.name.to_lowercase());
        }
    }

    let mut ranked: Vec<&Acc> = accs.iter().filter(|a| !a.folded).collect();
    ranked.sort_by(|a, b| {
        score(b)
            .cmp(&score(a))
            .then(a.first.cmp(&b.first))
            .then(a.name.cmp(&b.name))
    });
    let mut seen = std::collections::HashSet::new();
    ranked
        .into_iter()
        .filter(|a| seen.insert(a.name.as_str()))
        .map(|a| (a.name.clone(), a.kind))
        .collect()
}

/// Mentions count most; a title mention and an early first mention are the
/// usual signs of what a story is about.
fn score(a: &Acc) -> u32 {
    let early = match a.first {
        0..=300 => 3,
        301..=1000 => 1,
        _ => 0,
    };
    a.count * 4 + if a.in_title { 8 } else { 0 } + early
}

fn fold_place_suffixes(accs: &mut [Acc]) {
    for i in 0..accs.len() {
        if accs[i].kind != Kind::Place {
            continue;
        }
        let mut target: Option<usize> = None;
        for j in 0..accs.len() {
            if i == j || accs[j].kind != Kind::Place || accs[j].folded {
                continue;
            }
            let (long, short) = (&accs[j].name, &accs[i].name);
            let is_suffix = long.len() > short.len() + 1
                && long.ends_with(short.as_str())
                && long.as_bytes()[long.len() - short.len() - 1] == b' ';
            if is_suffix && target.is_none_or(|t| accs[j].count > accs[t].count) {
                target = Some(j);
            }
        }
        if let Some(t) = target {
            accs[t].count += accs[i].count;
            accs[t].first = accs[t].first.min(accs[i].first);
            accs[t].in_title |= accs[i].in_title;
            accs[i].folded = true;
        }
    }
}

fn best_person_ending_with(accs: &[Acc], surname: &str) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (k, a) in accs.iter().enumerate() {
        if a.kind != Kind::Person || a.name.len() <= surname.len() + 1 {
            continue;
        }
        let ends = a.name.ends_with(surname)
            && a.name.as_bytes()[a.name.len() - surname.len() - 1] == b' ';
        if ends && best.is_none_or(|b| a.count > accs[b].count) {
            best = Some(k);
        }
    }
    best
}
