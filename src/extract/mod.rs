//! Entity extraction: people, organisations and places named in an article.
//!
//! The approach is deliberately small and predictable, with no model and no I/O:
//!
//! 1. **Tokenise once** (`tokens.rs`): word slices with what separates each from
//!    the previous one (space, hyphen, comma, sentence or paragraph break).
//! 2. **Gazetteer** (`gazetteer.rs`): countries, territories, cities, regions and
//!    international organisations with their aliases and demonyms, kept as TSV
//!    data under `data/gazetteer/` and matched by one Aho-Corasick automaton
//!    (built once, word-boundary checked, longest match wins). Every alias maps
//!    to one canonical name, so "U.S.", "US" and "American" are all "United
//!    States", and "Beijing's" is "Beijing". An organisation named after a
//!    place, or a national institution ("Bank of Japan", "Bundesbank"), also
//!    counts as a mention of its country, and so does a city or a province
//!    ("London" is news about the United Kingdom).
//! 3. **Capitalised phrases** (`candidates.rs`): runs of capitalised words, with
//!    connectors inside organisation names, broken at gazetteer matches (so
//!    "Russia-North Korea" is two places). Sentence-initial common words are
//!    rejected by a stop list and by lower-case evidence elsewhere in the text.
//! 4. **Typing cues** (`cues.rs`): roles and honorifics before a name, a
//!    reporting verb or an appositive role next to it, or a known given name make
//!    a person; organisation keywords and legal suffixes make an org. Phrases no
//!    cue types are dropped rather than guessed.
//! 5. **Resolution** (`resolve.rs`): aliases and short forms fold into one entity
//!    (a surname into the full name, "Korea" into "North Korea"), ranked by
//!    mention count, title presence and position.
//!
//! Headlines in all capitals (Reuters) or title case carry no capitalisation
//! signal, so titles are read through the gazetteer only; entities found in the
//! body still gain salience when the title names them.

mod candidates;
mod cues;
mod gazetteer;
mod resolve;
mod tokens;

#[cfg(test)]
mod tests;

use std::collections::HashSet;

use crate::article::Entity;

/// The kinds of entity the extractor emits, as the lower-case words stored in
/// `Entity::entity_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Person,
    Org,
    Place,
    Other,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::Org => "org",
            Kind::Place => "place",
            Kind::Other => "other",
        }
    }
}

/// Entities found in an article's text, canonical names, deduplicated, most salient first.
pub fn extract_entities(title: &str, summary: &str, body: &str) -> Vec<Entity> {
    let title_mode = headline_mode(title);
    let mut tokens_by_section: [Vec<tokens::Token<'_>>; 3] = Default::default();
    let sections = [title, summary, body];
    let bases = [0, title.len() + 1, title.len() + summary.len() + 2];
    for (k, text) in sections.iter().enumerate() {
        if k == 0 && title_mode != Headline::Sentence {
            continue;
        }
        tokens::tokenize(text, &mut tokens_by_section[k]);
    }
    let lowercase_words: HashSet<&str> = tokens_by_section
        .iter()
        .flatten()
        .filter(|t| t.is_lowercase_word())
        .map(|t| t.text)
        .collect();
    let ctx = candidates::Context { lowercase_words };

    let mut found = candidates::Found::default();
    match title_mode {
        Headline::Sentence => {
            candidates::scan_section(title, &tokens_by_section[0], &ctx, 0, &mut found)
        }
        Headline::AllCaps => candidates::scan_gazetteer_only(title, true, 0, &mut found),
        Headline::TitleCase => candidates::scan_gazetteer_only(title, false, 0, &mut found),
    }
    for k in 1..3 {
        candidates::scan_section(
            sections[k],
            &tokens_by_section[k],
            &ctx,
            bases[k],
            &mut found,
        );
    }

    resolve::resolve(&found, title, title.len())
        .into_iter()
        .map(|(name, kind)| Entity {
            name,
            entity_type: kind.as_str().to_string(),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Headline {
    /// Ordinary sentence case: capitals mean what they mean in the body.
    Sentence,
    /// No lower-case letters at all ("BAHIA COCOA REVIEW").
    AllCaps,
    /// Most words capitalised ("Beijing's Cautious Stance Amidst ...").
    TitleCase,
}

fn headline_mode(title: &str) -> Headline {
    if !title.chars().any(char::is_lowercase) {
        return Headline::AllCaps;
    }
    let mut words = 0;
    let mut capitalised = 0;
    for w in title.split_whitespace() {
        let Some(c) = w.chars().find(|c| c.is_alphabetic()) else {
            continue;
        };
        // Short function words stay lower case in title case ("of", "and").
        if w.len() <= 3 && c.is_lowercase() {
            continue;
        }
        words += 1;
        if c.is_uppercase() {
            capitalised += 1;
        }
    }
    if words >= 3 && capitalised * 4 >= words * 3 {
        Headline::TitleCase
    } else {
        Headline::Sentence
    }
}
