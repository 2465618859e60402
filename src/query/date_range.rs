//! The date filter (`from`, `to`) as a query that checks a match's date where one is asked for.
//!
//! tantivy's range query on a fast field scans the column for its first document in range as
//! soon as its scorer is made, even when the query is only asked about the documents another
//! one matched (the words of a search, which lead a conjunction, or the bits a words query
//! keeps): for a range that starts late in a segment that was most of the cost of the filter
//! (on Reuters, `oil prices` with 3 facets and a month of dates, 16% of a request's
//! instructions). Asked from a given document on (`scorer_danger`), this one reads the dates of
//! the documents it is asked about and nothing else; leading, it is tantivy's.

use std::ops::Bound;
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::query::{EnableScoring, Explanation, Query, RangeQuery, Scorer, Weight};
use tantivy::schema::Field;
use tantivy::{DateTime, DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term, TERMINATED};

/// Articles whose date (a date fast field) is within bounds, inclusive.
#[derive(Debug, Clone)]
pub struct DateRangeQuery {
    field: Field,
    lower: Option<DateTime>,
    upper: Option<DateTime>,
}

impl DateRangeQuery {
    /// Dates of `field` from `lower` to `upper`, both included; `None`: unbounded (one bound at
    /// least, as tantivy's range query wants).
    pub fn new(field: Field, lower: Option<DateTime>, upper: Option<DateTime>) -> DateRangeQuery {
        // Bounds at the field's precision, as the index keeps its dates.
        let at_precision = |d: DateTime| {
            Term::from_field_date_for_search(field, d)
                .value()
                .as_date()
                .unwrap_or(d)
        };
        DateRangeQuery {
            field,
            lower: lower.map(at_precision),
            upper: upper.map(at_precision),
        }
    }

    fn tantivy(&self) -> RangeQuery {
        let bound = |d: Option<DateTime>| match d {
            Some(d) => Bound::Included(Term::from_field_date_for_search(self.field, d)),
            None => Bound::Unbounded,
        };
        RangeQuery::new(bound(self.lower), bound(self.upper))
    }
}

impl Query for DateRangeQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(DateRangeWeight {
            query: self.clone(),
            inner: self.tantivy().weight(scoring)?.into(),
        }))
    }
}

struct DateRangeWeight {
    query: DateRangeQuery,
    /// tantivy's weight, for what leads or counts.
    inner: Arc<dyn Weight>,
}

impl Weight for DateRangeWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.inner.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(SeekDangerResult, Box<dyn Scorer>)> {
        let name = reader.schema().get_field_name(self.query.field);
        let Some(dates) = reader.fast_fields().date(name).ok() else {
            return self.inner.scorer_danger(reader, target, boost);
        };
        let mut checked = Checked {
            dates,
            lower: self.query.lower,
            upper: self.query.upper,
            doc: TERMINATED,
            reader: reader.clone(),
            inner: None,
            weight: self.inner.clone(),
            boost,
        };
        let found = checked.seek_danger(target);
        Ok((found, Box::new(checked)))
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }
}

/// The filter asked about given documents: each one's dates are read and compared. Moved on
/// by itself (`advance`, `seek`), it becomes tantivy's scorer from where it stands.
struct Checked {
    dates: Column<DateTime>,
    lower: Option<DateTime>,
    upper: Option<DateTime>,
    /// The document it stands on (valid after `Found`).
    doc: DocId,
    reader: SegmentReader,
    inner: Option<Box<dyn Scorer>>,
    weight: Arc<dyn Weight>,
    boost: Score,
}

impl Checked {
    fn within(&self, doc: DocId) -> bool {
        self.dates
            .values_for_doc(doc)
            .any(|d| self.lower.is_none_or(|l| d >= l) && self.upper.is_none_or(|u| d <= u))
    }

    /// tantivy's scorer, placed on the first match at or after `target`.
    fn inner_at(&mut self, target: DocId) -> &mut Box<dyn Scorer> {
        if self.inner.is_none() {
            // A weight that made a scorer once makes it again; an error leaves an empty one.
            let scorer = self
                .weight
                .scorer(&self.reader, self.boost)
                .unwrap_or_else(|_| Box::new(tantivy::query::EmptyScorer));
            self.inner = Some(scorer);
        }
        let inner = self.inner.as_mut().expect("made above");
        if inner.doc() < target {
            inner.seek(target);
        }
        inner
    }
}

impl DocSet for Checked {
    fn advance(&mut self) -> DocId {
        if let Some(inner) = self.inner.as_mut() {
            return inner.advance();
        }
        let next = self.doc.saturating_add(1);
        self.inner_at(next).doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.inner.is_none() && self.doc == target {
            return target;
        }
        self.inner_at(target).doc()
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if let Some(inner) = self.inner.as_mut() {
            return inner.seek_danger(target);
        }
        if target >= self.dates.num_docs() {
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        if self.within(target) {
            self.doc = target;
            SeekDangerResult::Found
        } else {
            SeekDangerResult::SeekLowerBound(target + 1)
        }
    }

    fn doc(&self) -> DocId {
        match &self.inner {
            Some(inner) => inner.doc(),
            None => self.doc,
        }
    }

    fn size_hint(&self) -> u32 {
        // As tantivy's range scorer says of itself.
        self.dates.num_docs() / 10
    }

    fn cost(&self) -> u64 {
        (f64::from(self.dates.num_docs()) * 0.8) as u64
    }
}

impl Scorer for Checked {
    fn score(&mut self) -> Score {
        self.boost
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::{DateOptions, DateTimePrecision, IndexRecordOption, Schema, STRING};
    use tantivy::{doc, Index};

    use super::*;

    /// Documents with zero, one or two dates, words spread thin or thick, in three segments
    /// with deletions; every filter and conjunction compared with tantivy's range query.
    #[test]
    fn matches_what_tantivys_range_query_matches() {
        let mut b = Schema::builder();
        let date = b.add_date_field(
            "published_at",
            DateOptions::default()
                .set_indexed()
                .set_fast()
                .set_precision(DateTimePrecision::Seconds),
        );
        let word = b.add_text_field("word", STRING);
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).expect("writer");
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for segment in 0..3 {
            for i in 0..3_000u64 {
                let mut d = tantivy::TantivyDocument::default();
                // Dates grow along the segment, as articles come in order, with some noise.
                for _ in 0..next(3) {
                    let secs = 1_000_000 + i as i64 * 60 + next(5_000) as i64 - segment * 9;
                    d.add_date(date, DateTime::from_timestamp_secs(secs));
                }
                for (w, every) in [("rare", 97), ("some", 7), ("most", 2)] {
                    if next(every) == 0 {
                        d.add_text(word, w);
                    }
                }
                writer.add_document(d).expect("add");
            }
            writer.commit().expect("commit");
        }
        writer.delete_term(Term::from_field_text(word, "rare"));
        writer.add_document(doc!(word => "late")).expect("add");
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let at = |m: i64| Some(DateTime::from_timestamp_secs(1_000_000 + m * 60));
        let ranges = [
            (at(0), at(100)),
            (at(2_500), None),
            (None, at(40)),
            (at(1_000), at(1_000)),
            (at(5_000), None),
        ];
        for (lower, upper) in ranges {
            let ours = DateRangeQuery::new(date, lower, upper);
            let theirs = ours.tantivy();
            for w in [None, Some("rare"), Some("some"), Some("most"), Some("late")] {
                let with = |filter: Box<dyn Query>| -> Box<dyn Query> {
                    let filter = Box::new(ConstScoreQuery::new(filter, 0.0));
                    match w {
                        None => filter,
                        Some(w) => Box::new(BooleanQuery::new(vec![
                            (
                                Occur::Must,
                                Box::new(TermQuery::new(
                                    Term::from_field_text(word, w),
                                    IndexRecordOption::Basic,
                                )),
                            ),
                            (Occur::Must, filter),
                        ])),
                    }
                };
                let a = searcher
                    .search(with(Box::new(ours.clone())).as_ref(), &DocSetCollector)
                    .expect("search");
                let b = searcher
                    .search(with(Box::new(theirs.clone())).as_ref(), &DocSetCollector)
                    .expect("search");
                assert_eq!(a, b, "{lower:?}..{upper:?} with {w:?}");
            }
        }
    }
}
