//! Mentions in one section of text: gazetteer matches, and capitalised phrases
//! typed by the cues around them.
//!
//! A phrase is a run of capitalised tokens separated only by spaces, with
//! connectors ("of", "for", "and", ...) allowed inside it. A gazetteer match
//! ends a phrase, so "Russia and North Korea" yields two places rather than one
//! long name. Sentence-initial words are stripped when they are stop words or
//! when the same word also occurs in lower case in the document, which is how
//! "Experts" and "Furthermore" are told apart from names. A phrase that no cue
//! types is dropped: in news copy an untyped capitalised word is far more often
//! a heading, a sentence start or a foreign common noun than an entity.

use std::borrow::Cow;
use std::collections::HashSet;

use super::cues::{self, lower};
use super::gazetteer::{GazMatch, GAZETTEER};
use super::tokens::{Gap, Token};
use super::Kind;

#[derive(Debug, Clone)]
pub(crate) struct Mention<'a> {
    pub name: Cow<'a, str>,
    pub kind: Kind,
    /// Byte offset in the whole document (title, summary, body in that order).
    pub pos: usize,
    /// A lone surname typed by an honorific ("Mr Volcker"): folds into the full name.
    pub surname_only: bool,
}

/// What one document's scan produced.
#[derive(Debug, Default)]
pub(crate) struct Found<'a> {
    pub mentions: Vec<Mention<'a>>,
    /// Capitalised single words that no cue typed: only used to fold later
    /// mentions ("Russel points out") into a known entity.
    pub lone: Vec<&'a str>,
}

/// Document-wide evidence shared by every section.
pub(crate) struct Context<'a> {
    /// Words seen starting with a lower-case letter anywhere in the document.
    pub lowercase_words: HashSet<&'a str>,
}

/// Gazetteer matches only, for all-caps or title-case headlines whose
/// capitalisation says nothing.
pub(crate) fn scan_gazetteer_only<'a>(
    text: &'a str,
    all_caps: bool,
    base: usize,
    out: &mut Found<'a>,
) {
    let mut matches = Vec::new();
    GAZETTEER.find(text, all_caps, &mut matches);
    for m in matches {
        push_gazetteer(&m, base, &mut out.mentions);
    }
}

/// Bytes of the text (title, then standfirst and body) within which a city implies its
/// country: the headline and the first paragraph, where a story says where it is from. Tuned
/// on odd NEWIDs of Reuters-21578 (`examples/extract_quality --split tune --all`): implied
/// everywhere, non-US place recall 0.861 but precision 0.619 (0.627 before); within 500
/// bytes 0.853 and 0.627; within 400, 0.849.
const LEAD_BYTES: usize = 500;

/// Whether a match's implied places count: always an organisation's; a city's or a
/// province's country only near the start, where the story says where it is from.
fn implies_here(m: &GazMatch, base: usize) -> bool {
    GAZETTEER.entries[m.entry as usize].kind != Kind::Place || base + m.start < LEAD_BYTES
}

/// A gazetteer match, and the places an organisation's name implies.
fn push_gazetteer(m: &GazMatch, base: usize, mentions: &mut Vec<Mention<'_>>) {
    let entry = &GAZETTEER.entries[m.entry as usize];
    mentions.push(Mention {
        name: Cow::Borrowed(entry.name),
        kind: entry.kind,
        pos: base + m.start,
        surname_only: false,
    });
    if !implies_here(m, base) {
        return;
    }
    for &place in GAZETTEER.implied_places(m) {
        let place = &GAZETTEER.entries[place as usize];
        mentions.push(Mention {
            name: Cow::Borrowed(place.name),
            kind: place.kind,
            pos: base + m.start,
            surname_only: false,
        });
    }
}

struct Phrase {
    start: usize,
    end: usize,
    /// A gazetteer place right before the phrase ("American" + "Express Co").
    prefix: Option<(usize, GazMatch)>,
    /// A gazetteer match completing an organisation ("Bank of" + "Boston").
    absorbed: Option<GazMatch>,
}

struct Scanner<'t, 'a> {
    text: &'a str,
    tokens: &'t [Token<'a>],
    ctx: &'t Context<'a>,
    base: usize,
    out: &'t mut Found<'a>,
    buf: String,
}

/// Scans one section whose capitalisation is meaningful (summary, body, or a
/// sentence-case title).
pub(crate) fn scan_section<'a>(
    text: &'a str,
    tokens: &[Token<'a>],
    ctx: &Context<'a>,
    base: usize,
    out: &mut Found<'a>,
) {
    let mut gaz = Vec::new();
    let head = dateline_len(text);
    if head > 0 {
        GAZETTEER.find(&text[..head], true, &mut gaz);
    }
    let first_body_match = gaz.len();
    GAZETTEER.find(&text[head..], false, &mut gaz);
    for m in &mut gaz[first_body_match..] {
        m.start += head;
        m.end += head;
    }
    read_upper_case_lines(text, head, &mut gaz);
    let mut s = Scanner {
        text,
        tokens,
        ctx,
        base,
        out,
        buf: String::new(),
    };
    s.run(&gaz);
}

/// Upper-case lines inside a body (table headings, "JAPAN  67  91") carry
/// no case signal either: their gazetteer matches are redone case-insensitively.
fn read_upper_case_lines(text: &str, from: usize, gaz: &mut Vec<GazMatch>) {
    let mut line_start = from;
    let mut redone = false;
    for line in text[from..].split_inclusive('\n') {
        let range = line_start..line_start + line.len();
        line_start = range.end;
        let upper = line.bytes().filter(u8::is_ascii_uppercase).count();
        if upper < 2 || line.chars().any(char::is_lowercase) {
            continue;
        }
        gaz.retain(|m| !range.contains(&m.start));
        let first = gaz.len();
        GAZETTEER.find(line, true, gaz);
        for m in &mut gaz[first..] {
            m.start += range.start;
            m.end += range.start;
        }
        redone = true;
    }
    if redone {
        gaz.sort_unstable_by_key(|m| m.start);
    }
}

/// Length of a wire-style dateline opening the text ("LONDON, Feb 26 -",
/// "SAO PAULO (Reuters) -"), whose upper-case place name only the
/// case-insensitive gazetteer can read; 0 when there is none.
pub(crate) fn dateline_len(text: &str) -> usize {
    let trimmed = text.trim_start();
    let lead = text.len() - trimmed.len();
    let mut cut = trimmed.len().min(60);
    while !trimmed.is_char_boundary(cut) {
        cut -= 1;
    }
    let window = &trimmed[..cut];
    let Some(dash) = window.find(" -") else {
        return 0;
    };
    let place_end = window[..dash].find([',', '(']).unwrap_or(dash);
    let place = window[..place_end].trim_end();
    let caps = place.chars().any(char::is_alphabetic)
        && !place.chars().any(char::is_lowercase)
        && !place.contains('\n');
    if caps {
        lead + place_end
    } else {
        0
    }
}

impl<'a> Scanner<'_, 'a> {
    fn run(&mut self, gaz: &[GazMatch]) {
        let mut gi = 0;
        let mut phrase: Option<Phrase> = None;
        // (mention index, token index just after the match) of the last place match.
        let mut last_place: Option<(usize, usize, GazMatch)> = None;
        let mut i = 0;
        while i < self.tokens.len() {
            let tok = self.tokens[i];
            while gi < gaz.len() && gaz[gi].end <= tok.start {
                gi += 1;
            }
            if gi < gaz.len() && gaz[gi].start <= tok.start {
                let m = gaz[gi];
                gi += 1;
                let mut next = i;
                while next < self.tokens.len() && self.tokens[next].start < m.end {
                    next += 1;
                }
                let entry = &GAZETTEER.entries[m.entry as usize];
                if let Some(p) = phrase.as_mut() {
                    if tok.gap == Gap::Space && self.can_absorb(p) {
                        p.absorbed = Some(m);
                        let p = phrase.take().expect("phrase is set");
                        self.finish(p);
                        // A place inside an organisation's name is still a place
                        // the story is about ("Bank of Boston"); an organisation
                        // inside a longer one is not mentioned on its own.
                        if entry.kind == Kind::Place {
                            self.push(
                                Cow::Borrowed(entry.name),
                                entry.kind,
                                self.base + m.start,
                                false,
                            );
                        }
                        i = next;
                        continue;
                    }
                }
                if let Some(p) = phrase.as_mut() {
                    if tok.gap == Gap::Space && entry.kind == Kind::Org && self.extends_into(p) {
                        // "National" + "Security Council", "Royal" + "Bank of Canada":
                        // the known name is the tail of a longer one.
                        p.end = next;
                        for &place in GAZETTEER.implied_places(&m) {
                            let place = &GAZETTEER.entries[place as usize];
                            self.push(
                                Cow::Borrowed(place.name),
                                place.kind,
                                self.base + m.start,
                                false,
                            );
                        }
                        i = next;
                        continue;
                    }
                }
                if let Some(p) = phrase.take() {
                    self.finish(p);
                }
                let idx = self.out.mentions.len();
                push_gazetteer(&m, self.base, &mut self.out.mentions);
                last_place = (entry.kind == Kind::Place).then_some((idx, next, m));
                i = next;
                continue;
            }

            let joins = match tok.gap {
                Gap::Space => true,
                Gap::Hyphen => {
                    tok.is_capitalised()
                        && phrase
                            .as_ref()
                            .is_some_and(|p| p.end == i && self.tokens[i - 1].is_capitalised())
                }
                Gap::Comma | Gap::Break => false,
            };
            if !joins {
                if let Some(p) = phrase.take() {
                    self.finish(p);
                }
            }
            if tok.is_capitalised() {
                match phrase.as_mut() {
                    Some(p) => p.end = i + 1,
                    None => {
                        let prefix = last_place
                            .filter(|&(_, after, _)| after == i && tok.gap == Gap::Space)
                            .map(|(idx, _, m)| (idx, m));
                        phrase = Some(Phrase {
                            start: i,
                            end: i + 1,
                            prefix,
                            absorbed: None,
                        });
                    }
                }
            } else if let Some(p) = phrase.as_mut().filter(|_| joins) {
                // "and" only continues a name that already took "of"/"for" and goes
                // on with a capitalised word ("Center for Strategic and International
                // Studies", not "Smith and Jones"); "the" only right after "of"/"for".
                let took_of = |t: &Token<'_>| t.text == "of" || t.text == "for";
                let inside_name = match tok.text {
                    "and" => {
                        self.tokens[p.start..p.end].iter().any(took_of)
                            && self
                                .tokens
                                .get(i + 1)
                                .is_some_and(|n| n.gap == Gap::Space && n.is_capitalised())
                    }
                    "the" => took_of(&self.tokens[i - 1]),
                    _ => true,
                };
                if cues::is_connector(tok.text) && inside_name {
                    p.end = i + 1;
                } else {
                    let p = phrase.take().expect("phrase is set");
                    self.finish(p);
                }
            }
            i += 1;
        }
        if let Some(p) = phrase.take() {
            self.finish(p);
        }
    }

    /// True when the phrase ends in a word that can open a longer organisation
    /// name, rather than a sentence-initial word, stop word, role or connector.
    fn extends_into(&mut self, p: &Phrase) -> bool {
        let last = self.tokens[p.end - 1];
        let lowered = lower(last.text, &mut self.buf);
        last.is_capitalised()
            && !last.sentence_start
            && !last.is_all_caps()
            && !cues::is_stopword(lowered)
            && !cues::is_role(last.text)
    }

    /// "Bank of" / "University of" followed by a gazetteer name is one organisation.
    fn can_absorb(&self, p: &Phrase) -> bool {
        let last = self.tokens[p.end - 1].text;
        if (last != "of" && last != "for") || p.end - p.start < 2 {
            return false;
        }
        // "Bank of", "University of"; not "Matsushita Electric Co Ltd of Japan",
        // where "of Japan" says where the company is, not what it is called.
        let words = &self.tokens[p.start..p.end];
        cues::is_org_keyword(words[words.len() - 2].text)
            && !words.iter().any(|t| cues::is_role(t.text))
    }

    fn finish(&mut self, p: Phrase) {
        let all = &self.tokens[p.start..p.end];
        let prev = p.start.checked_sub(1).map(|k| self.tokens[k]);
        let next = self.tokens.get(p.end).copied();

        // "Finance Minister Gerhard Stoltenberg": the name follows the last role word.
        let mut person_cue = false;
        let mut honorific = false;
        let mut words = all;
        if p.absorbed.is_none() {
            if let Some(r) = all.iter().rposition(|t| cues::is_role(t.text)) {
                let rest = &all[r + 1..];
                let org_like = rest
                    .iter()
                    .any(|t| cues::is_org_keyword(t.text) || cues::is_org_suffix(t.text));
                let name_like = |ws: &[Token<'_>]| {
                    !ws.is_empty()
                        && ws[0].is_capitalised()
                        && ws
                            .iter()
                            .all(|t| t.is_capitalised() || cues::is_name_particle(t.text))
                };
                if org_like {
                    // "General Motors", "Justice Department": the role word is part of the name.
                } else if name_like(rest) {
                    person_cue = true;
                    honorific = cues::is_honorific(all[r].text);
                    words = rest;
                } else if let Some(f) = rest
                    .iter()
                    .position(|t| cues::is_first_name(t.text))
                    .filter(|&f| name_like(&rest[f..]))
                {
                    // "Secretary of State George Shultz": the name starts at a given name.
                    person_cue = true;
                    words = &rest[f..];
                } else if !rest.iter().any(Token::is_capitalised) {
                    // A role with no name after it ("Prime Minister"): nothing to keep.
                    return;
                }
            }
        }

        // Leading connectors, stop words and sentence-initial common words.
        while let Some((first, rest)) = words.split_first() {
            let lowered = lower(first.text, &mut self.buf);
            let drop = cues::is_connector(first.text)
                || cues::is_stopword(lowered)
                || (first.sentence_start && self.ctx.lowercase_words.contains(lowered));
            if !drop {
                break;
            }
            words = rest;
        }
        if p.absorbed.is_none() {
            while let Some((last, rest)) = words.split_last() {
                let lowered = lower(last.text, &mut self.buf);
                if !(cues::is_connector(last.text) || cues::is_stopword(lowered)) {
                    break;
                }
                words = rest;
            }
        }
        if words.is_empty() {
            return;
        }
        let pos = self.base + words[0].start;

        if words.len() == 1 && p.absorbed.is_none() {
            let w = words[0];
            if person_cue && honorific && !w.is_all_caps() {
                self.push(Cow::Borrowed(w.text), Kind::Person, pos, true);
            } else {
                self.out.lone.push(w.text);
            }
            return;
        }
        // Multi-word upper-case runs are headings and tables, not names.
        if words.iter().all(|t| t.is_all_caps() || !t.is_capitalised()) && p.absorbed.is_none() {
            return;
        }

        let is_org = p.absorbed.is_some()
            || words.iter().any(|t| cues::is_org_keyword(t.text))
            || words.last().is_some_and(|t| cues::is_org_suffix(t.text));
        if is_org {
            let mut name = String::new();
            let mut prefix_idx = None;
            if let Some((idx, m)) = p.prefix {
                if words[0].start == all[0].start {
                    name.push_str(&self.text[m.start..m.end]);
                    prefix_idx = Some(idx);
                }
            }
            join_into(&mut name, words);
            if let Some(m) = p.absorbed {
                name.push(' ');
                name.push_str(&self.text[m.start..m.end]);
            }
            // The place stays a mention of its own: a "British" company is news about Britain.
            let pos = prefix_idx.map_or(pos, |idx| self.out.mentions[idx].pos);
            self.push(Cow::Owned(name), Kind::Org, pos, false);
            return;
        }

        let name_shaped = words.len() <= 4
            && words.iter().all(|t| {
                (t.is_capitalised() && !t.is_all_caps()) || cues::is_name_particle(t.text)
            })
            && words[0].is_capitalised();
        if !name_shaped {
            return;
        }
        let said_before = prev.is_some_and(|t| cues::is_reporting_verb(t.text))
            && all[0].gap == Gap::Space
            && words[0].start == all[0].start;
        let role_before = prev.is_some_and(|t| {
            let before = p.start.checked_sub(2).map(|k| self.tokens[k].text);
            cues::is_lowercase_role(before, t.text)
        }) && all[0].gap == Gap::Space
            && words[0].start == all[0].start;
        let said_after =
            next.is_some_and(|t| t.gap == Gap::Space && cues::is_reporting_verb(t.text));
        let is_person = person_cue
            || said_before
            || role_before
            || said_after
            || cues::is_first_name(words[0].text)
            || self.appositive_follows(p.end);
        if is_person {
            let mut name = String::new();
            join_into(&mut name, words);
            self.push(Cow::Owned(name), Kind::Person, pos, false);
        }
    }

    /// ", senior vice president for ..." or ", a former top US diplomat" after a name.
    fn appositive_follows(&self, end: usize) -> bool {
        let Some(first) = self.tokens.get(end) else {
            return false;
        };
        if first.gap != Gap::Comma {
            return false;
        }
        for (k, t) in self.tokens[end..].iter().take(6).enumerate() {
            if k > 0 && t.gap != Gap::Space {
                return false;
            }
            if cues::is_appositive_role(t.text) {
                return true;
            }
            if !(cues::is_appositive_filler(t.text) || t.is_capitalised()) {
                return false;
            }
        }
        false
    }

    fn push(&mut self, name: Cow<'a, str>, kind: Kind, pos: usize, surname_only: bool) {
        self.out.mentions.push(Mention {
            name,
            kind,
            pos,
            surname_only,
        });
    }
}

/// Rebuilds a name from its tokens with single spaces (wire copy wraps lines
/// inside names) and the hyphens that joined them.
fn join_into(name: &mut String, words: &[Token<'_>]) {
    for (k, t) in words.iter().enumerate() {
        if k > 0 || !name.is_empty() {
            name.push(if k > 0 && t.gap == Gap::Hyphen {
                '-'
            } else {
                ' '
            });
        }
        name.push_str(t.text);
    }
}
