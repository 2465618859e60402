//! Filters → query clauses. Several values of one filter are OR'ed, different filters AND'ed.
//! [`Filters::clauses`] can leave one dimension out, which is how facet counts are made
//! disjunctive: the counts of facet X are taken with every filter except those on X.

use chrono::{DateTime, Utc};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

use crate::index::document::to_tantivy_date;
use crate::index::Fields;

/// The filters of a search, values already normalized (lowercase, tags without stray `/`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Filters {
    /// Authors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<String>,
    /// Tags; a parent tag matches its children.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<String>,
    /// Entity names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entity: Vec<String>,
    /// Entity types.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entity_type: Vec<String>,
    /// Languages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<String>,
    /// Sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
    /// Published at or after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Published at or before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// One filter dimension, the unit that a disjunctive facet leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// `author`
    Author,
    /// `tag`
    Tag,
    /// `entity`
    Entity,
    /// `entity_type`
    EntityType,
    /// `language`
    Language,
    /// `source`
    Source,
    /// `from` and `to`
    Date,
}

impl Filters {
    /// Whether a filter on this dimension is set.
    pub fn has(&self, d: Dimension) -> bool {
        match d {
            Dimension::Author => !self.author.is_empty(),
            Dimension::Tag => !self.tag.is_empty(),
            Dimension::Entity => !self.entity.is_empty(),
            Dimension::EntityType => !self.entity_type.is_empty(),
            Dimension::Language => !self.language.is_empty(),
            Dimension::Source => !self.source.is_empty(),
            Dimension::Date => self.from.is_some() || self.to.is_some(),
        }
    }

    /// Whether no filter is set but (perhaps) one on `d`.
    pub fn only(&self, d: Dimension) -> bool {
        ALL.iter().all(|&x| x == d || !self.has(x))
    }

    /// Must-clauses for every set filter except `except`.
    pub fn clauses(&self, f: &Fields, except: Option<Dimension>) -> Vec<(Occur, Box<dyn Query>)> {
        let mut out = Vec::new();
        for d in ALL {
            if Some(d) == except || !self.has(d) {
                continue;
            }
            let q: Box<dyn Query> = match d {
                Dimension::Author => any_of(f.author, &self.author),
                Dimension::Tag => any_of(f.tag, &self.tag),
                Dimension::Entity => any_of(f.entity, &self.entity),
                Dimension::EntityType => any_of(f.entity_type, &self.entity_type),
                Dimension::Language => any_of(f.language, &self.language),
                Dimension::Source => any_of(f.source, &self.source),
                Dimension::Date => Box::new(super::date_range::DateRangeQuery::new(
                    f.published_at,
                    self.from.as_ref().map(to_tantivy_date),
                    self.to.as_ref().map(to_tantivy_date),
                )),
            };
            // Filters narrow, they do not rank: as Must clauses they added a constant per
            // matched value to the score (so more to an article matching two tags of
            // `tag=a,b`), and searches for plain words leave them out of the score too.
            let filter: Box<dyn Query> = Box::new(ConstScoreQuery::new(q, 0.0));
            out.push((Occur::Must, filter));
        }
        out
    }
}

const ALL: [Dimension; 7] = [
    Dimension::Author,
    Dimension::Tag,
    Dimension::Entity,
    Dimension::EntityType,
    Dimension::Language,
    Dimension::Source,
    Dimension::Date,
];

pub(crate) fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let term = |v: &String| -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, v),
            IndexRecordOption::Basic,
        ))
    };
    if values.len() == 1 {
        return term(&values[0]);
    }
    Box::new(BooleanQuery::new(
        values.iter().map(|v| (Occur::Should, term(v))).collect(),
    ))
}
