//! Facet counts in one pass over the matching documents: keyword values from their fast
//! columns (counted by term ordinal per segment, resolved to strings once), and the
//! `published_at` calendar histogram (counted per UTC day, then folded into ISO weeks, months
//! or years, which tantivy's fixed-interval histogram cannot do).

use std::cmp::Reverse;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate};
use rustc_hash::FxHashMap;
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::TermOrdHit;
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentReader;
use tantivy::{DocId, Score, Searcher};

use super::filter::Dimension;
use crate::index::memo::{collect_live, SegmentMemo};
use crate::index::schema::TYPE_SEPARATOR;

/// A facet the caller asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacetSpec {
    /// `authors`
    Authors,
    /// `tags`, every level of the hierarchy.
    Tags,
    /// `sources`
    Sources,
    /// `languages`
    Languages,
    /// `entities` (all types) or `entities.TYPE`.
    Entities(Option<String>),
    /// `published_at[:interval]`
    PublishedAt(HistogramInterval),
}

/// Calendar bucket of the date histogram, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistogramInterval {
    /// `2024-06-22`
    Day,
    /// ISO week, `2024-W25`
    Week,
    /// `2024-06`
    Month,
    /// `2024`
    Year,
}

/// One counted value.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FacetValue {
    /// The value (a name, a tag, a date bucket).
    pub value: String,
    /// Matching articles.
    pub count: u64,
    /// The entity type, on entity facets.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub entity_type: Option<String>,
}

impl FacetSpec {
    /// The key of this facet in the response.
    pub fn key(&self) -> String {
        match self {
            FacetSpec::Authors => "authors".into(),
            FacetSpec::Tags => "tags".into(),
            FacetSpec::Sources => "sources".into(),
            FacetSpec::Languages => "languages".into(),
            FacetSpec::Entities(None) => "entities".into(),
            FacetSpec::Entities(Some(t)) => format!("entities.{t}"),
            FacetSpec::PublishedAt(_) => "published_at".into(),
        }
    }

    /// The filter dimension this facet leaves out of its own counts.
    pub fn dimension(&self) -> Dimension {
        match self {
            FacetSpec::Authors => Dimension::Author,
            FacetSpec::Tags => Dimension::Tag,
            FacetSpec::Sources => Dimension::Source,
            FacetSpec::Languages => Dimension::Language,
            FacetSpec::Entities(_) => Dimension::Entity,
            FacetSpec::PublishedAt(_) => Dimension::Date,
        }
    }

    fn column(&self) -> &'static str {
        match self {
            FacetSpec::Authors => "author",
            FacetSpec::Tags => "tag",
            FacetSpec::Sources => "source",
            FacetSpec::Languages => "language",
            FacetSpec::Entities(_) => "entity_typed",
            FacetSpec::PublishedAt(_) => "published_at",
        }
    }
}

/// Counts several facets in one pass.
pub struct FacetsCollector<'a> {
    specs: Vec<FacetSpec>,
    /// Where each segment's keyword dictionaries are kept, when given.
    memo: Option<(&'a SegmentMemo, &'a Searcher)>,
}

impl<'a> FacetsCollector<'a> {
    /// A collector for these facets.
    pub fn new(specs: Vec<FacetSpec>) -> FacetsCollector<'a> {
        FacetsCollector { specs, memo: None }
    }

    /// Whether there is nothing to count.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// Names the counted values from [`Terms`] kept in `memo` while a segment lives, rather
    /// than from the column's dictionary at every search.
    pub fn with_terms(mut self, memo: &'a SegmentMemo, searcher: &'a Searcher) -> Self {
        self.memo = Some((memo, searcher));
        self
    }
}

/// Dictionaries of more terms than this are read at every search instead of kept.
const MAX_KEPT_TERMS: usize = 200_000;

/// A segment column's values by ordinal.
///
/// Naming the values a search counted read the column's dictionary, whose blocks are
/// compressed: 0.3 ms per segment and search for authors, tags and places at 1M articles,
/// decompressing the same blocks every time.
pub struct Terms(Vec<Arc<str>>);

impl Terms {
    fn read(column: &StrColumn) -> tantivy::Result<Terms> {
        let mut terms = Vec::with_capacity(column.num_terms());
        let mut stream = column.dictionary().stream()?;
        while stream.advance() {
            terms.push(String::from_utf8_lossy(stream.key()).into());
        }
        Ok(Terms(terms))
    }

    /// The ordinals of one entity type's values (they sort together).
    fn of_type(&self, entity_type: &str) -> Range<u64> {
        let (first, past) = type_bounds(entity_type);
        let start = self.0.partition_point(|t| **t < *first);
        let end = self.0.partition_point(|t| **t < *past);
        start as u64..end.max(start) as u64
    }
}

/// Raw counts of one facet: keyword values or days since the epoch.
#[derive(Debug, Default, Clone)]
pub struct RawCounts {
    /// Values with their counts, sorted by value, each once. The strings are shared: most come
    /// from a segment's [`Terms`], so naming and merging them allocates nothing per value. A
    /// segment's counts come in ordinal order, which is the values' order, so the segments'
    /// lists are merged without hashing (merging hash maps of three facets took 0.2 ms on the
    /// searching thread, after the segments, at 1M articles).
    values: Vec<(Arc<str>, u64)>,
    days: FxHashMap<i64, u64>,
}

impl RawCounts {
    /// Counts made elsewhere (another engine's aggregations): keyword values with their
    /// counts, and days since the epoch with theirs (a histogram's buckets, each at its first
    /// day), for [`finish`] to order, cut and fill as it does tantivy's.
    pub fn from_counts(
        values: impl IntoIterator<Item = (String, u64)>,
        days: impl IntoIterator<Item = (i64, u64)>,
    ) -> RawCounts {
        let mut values: Vec<(Arc<str>, u64)> =
            values.into_iter().map(|(v, n)| (Arc::from(v), n)).collect();
        values.sort_unstable();
        let mut merged: Vec<(Arc<str>, u64)> = Vec::with_capacity(values.len());
        for (v, n) in values {
            match merged.last_mut() {
                Some((last, m)) if *last == v => *m += n,
                _ => merged.push((v, n)),
            }
        }
        let mut by_day = FxHashMap::default();
        for (d, n) in days {
            *by_day.entry(d).or_default() += n;
        }
        RawCounts {
            values: merged,
            days: by_day,
        }
    }
}

/// Counts of `specs` over every live article (what browsing without a query or filter shows),
/// each segment's remembered in `memo` while the segment is unchanged; segments not seen
/// before are counted on the search threads.
pub fn whole_index_counts(
    searcher: &Searcher,
    memo: &SegmentMemo,
    specs: &[FacetSpec],
) -> tantivy::Result<Vec<RawCounts>> {
    let segments: Vec<(u32, &SegmentReader)> = (0u32..).zip(searcher.segment_readers()).collect();
    let per_segment = super::exec::executor(searcher).map(
        |(ord, reader): (u32, &SegmentReader)| {
            specs
                .iter()
                .map(|spec| {
                    let key = format!("facet:{}", spec.key());
                    let counts = memo.get_or_compute(searcher, reader, &key, || {
                        let one = FacetsCollector::new(vec![spec.clone()]);
                        Ok(collect_live(&one, ord, reader)?.pop().unwrap_or_default())
                    })?;
                    Ok(RawCounts::clone(&counts))
                })
                .collect::<tantivy::Result<Vec<_>>>()
        },
        segments.into_iter(),
    )?;
    FacetsCollector::new(specs.to_vec()).merge_fruits(per_segment)
}

enum Counter {
    /// Counts of the term ordinals in `range` (all of them, or one entity type's).
    Str {
        column: Option<StrColumn>,
        terms: Option<Arc<Terms>>,
        counts: Vec<u32>,
        range: Range<u64>,
    },
    Days {
        column: Column<tantivy::DateTime>,
        min_day: i64,
        counts: Vec<u32>,
        /// Days past the vector (a segment spanning more than `MAX_DAY_SPAN` days).
        outside: FxHashMap<i64, u64>,
    },
}

/// Per-segment counting state.
pub struct FacetsSegmentCollector {
    counters: Vec<Counter>,
}

const SECONDS_PER_DAY: i64 = 86_400;
/// Above this many days in one segment (550 years), the day vector would be wasteful: days
/// past it are counted through a map.
const MAX_DAY_SPAN: i64 = 200_000;

impl Collector for FacetsCollector<'_> {
    type Fruit = Vec<RawCounts>;
    type Child = FacetsSegmentCollector;

    fn for_segment(
        &self,
        _ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetsSegmentCollector> {
        let ff = segment.fast_fields();
        let mut counters = Vec::with_capacity(self.specs.len());
        for spec in &self.specs {
            counters.push(match spec {
                FacetSpec::PublishedAt(_) => {
                    let column = ff.date(spec.column())?;
                    let min_day = column
                        .min_value()
                        .into_timestamp_secs()
                        .div_euclid(SECONDS_PER_DAY);
                    let max_day = column
                        .max_value()
                        .into_timestamp_secs()
                        .div_euclid(SECONDS_PER_DAY);
                    let span = (max_day - min_day + 1).clamp(0, MAX_DAY_SPAN) as usize;
                    Counter::Days {
                        column,
                        min_day,
                        counts: vec![0; span],
                        outside: FxHashMap::default(),
                    }
                }
                _ => {
                    let column = ff.str(spec.column())?;
                    let num_terms = column.as_ref().map_or(0, |c| c.num_terms() as u64);
                    let terms = match (&column, self.memo) {
                        (Some(c), Some((memo, searcher))) if c.num_terms() <= MAX_KEPT_TERMS => {
                            let what = format!("terms:{}", spec.column());
                            Some(memo.get_or_compute_for_segment(
                                searcher,
                                segment,
                                &what,
                                || Terms::read(c),
                            )?)
                        }
                        _ => None,
                    };
                    let range = match (&column, spec, &terms) {
                        (_, FacetSpec::Entities(Some(t)), Some(terms)) => terms.of_type(t),
                        (Some(c), FacetSpec::Entities(Some(t)), None) => type_ords(c, t)?,
                        _ => 0..num_terms,
                    };
                    let range = range.start.min(num_terms)
                        ..range.end.clamp(range.start.min(num_terms), num_terms);
                    Counter::Str {
                        column,
                        terms,
                        counts: vec![0; (range.end - range.start) as usize],
                        range,
                    }
                }
            });
        }
        Ok(FacetsSegmentCollector { counters })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, mut segments: Vec<Vec<RawCounts>>) -> tantivy::Result<Vec<RawCounts>> {
        // Merged on the searching thread after the segments: it is on every faceted search's
        // critical path, so the largest segment's day maps are kept and the others added.
        segments.sort_by_key(|seg| Reverse(seg.iter().map(|r| r.days.len()).sum::<usize>()));
        let mut rest = segments.into_iter();
        let mut merged: Vec<RawCounts> = rest
            .next()
            .unwrap_or_else(|| self.specs.iter().map(|_| RawCounts::default()).collect());
        for seg in rest {
            for (into, from) in merged.iter_mut().zip(seg) {
                into.values = merge_sorted(std::mem::take(&mut into.values), from.values);
                for (k, v) in from.days {
                    *into.days.entry(k).or_default() += v;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetsSegmentCollector {
    type Fruit = Vec<RawCounts>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for counter in &mut self.counters {
            match counter {
                Counter::Str {
                    column: Some(column),
                    counts,
                    range,
                    ..
                } => {
                    for ord in column.term_ords(doc) {
                        if let Some(c) = counts.get_mut(ord.wrapping_sub(range.start) as usize) {
                            *c += 1;
                        }
                    }
                }
                Counter::Str { column: None, .. } => {}
                Counter::Days {
                    column,
                    min_day,
                    counts,
                    outside,
                } => {
                    for dt in column.values_for_doc(doc) {
                        let day = dt.into_timestamp_secs().div_euclid(SECONDS_PER_DAY) - *min_day;
                        match usize::try_from(day).ok().and_then(|d| counts.get_mut(d)) {
                            Some(c) => *c += 1,
                            None => *outside.entry(day + *min_day).or_default() += 1,
                        }
                    }
                }
            }
        }
    }

    fn harvest(self) -> Vec<RawCounts> {
        self.counters
            .into_iter()
            .map(|counter| {
                let mut raw = RawCounts::default();
                match counter {
                    Counter::Str {
                        terms: Some(terms),
                        counts,
                        range,
                        ..
                    } => {
                        for (i, &n) in counts.iter().enumerate().filter(|(_, &n)| n > 0) {
                            if let Some(value) = terms.0.get(range.start as usize + i) {
                                raw.values.push((value.clone(), u64::from(n)));
                            }
                        }
                    }
                    Counter::Str {
                        column: Some(column),
                        counts,
                        range,
                        ..
                    } => {
                        // Resolving ordinals one by one decodes a dictionary block each time;
                        // in sorted order it is one sequential pass.
                        let ords: Vec<u64> = counts
                            .iter()
                            .enumerate()
                            .filter(|(_, &n)| n > 0)
                            .map(|(i, _)| range.start + i as u64)
                            .collect();
                        let mut next = ords.iter();
                        let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                            let Some(&ord) = next.next() else { return };
                            if let Ok(value) = std::str::from_utf8(bytes) {
                                let n = counts[(ord - range.start) as usize];
                                raw.values.push((Arc::from(value), u64::from(n)));
                            }
                        });
                    }
                    Counter::Str { column: None, .. } => {}
                    Counter::Days {
                        min_day,
                        counts,
                        outside,
                        ..
                    } => {
                        for (i, &n) in counts.iter().enumerate() {
                            if n > 0 {
                                raw.days.insert(min_day + i as i64, u64::from(n));
                            }
                        }
                        for (day, n) in outside {
                            *raw.days.entry(day).or_default() += n;
                        }
                    }
                }
                raw
            })
            .collect()
    }
}

/// The ordinals of one entity type's values (`type\u{1f}name` sorts them together).
fn type_ords(column: &StrColumn, entity_type: &str) -> tantivy::Result<Range<u64>> {
    let ord = |key: &str| -> tantivy::Result<u64> {
        Ok(
            match column.dictionary().term_ord_or_next(key.as_bytes())? {
                TermOrdHit::Exact(o) | TermOrdHit::Next(o) => o,
            },
        )
    };
    let (first, past) = type_bounds(entity_type);
    let start = ord(&first)?;
    let end = ord(&past)?;
    Ok(start..end.max(start))
}

/// The keys an entity type's values lie in, `type\u{1f}name`: from the first possible one
/// up to, not including, the first key past them.
fn type_bounds(entity_type: &str) -> (String, String) {
    (
        format!("{entity_type}{TYPE_SEPARATOR}"),
        format!("{entity_type}{}", char::from(TYPE_SEPARATOR as u8 + 1)),
    )
}

/// Turns raw counts into the answer: most frequent first (ties by value) and at most `limit`
/// values; a histogram instead lists its buckets in time order, all of them.
pub fn finish(spec: &FacetSpec, raw: RawCounts, limit: usize) -> Vec<FacetValue> {
    match spec {
        FacetSpec::PublishedAt(interval) => histogram(*interval, &raw.days),
        FacetSpec::Entities(wanted) => {
            // Only the values shown are turned into answers (an entity facet may count
            // thousands); ties by name, then type.
            let mut kept: Vec<(u64, &str, &str)> = raw
                .values
                .iter()
                .filter_map(|(key, count)| {
                    let (t, name) = key.split_once(TYPE_SEPARATOR)?;
                    let wanted_type = wanted.as_deref().is_none_or(|w| w == t);
                    wanted_type.then_some((*count, name, t))
                })
                .collect();
            top(&mut kept, limit, |a, b| {
                (Reverse(a.0), a.1, a.2).cmp(&(Reverse(b.0), b.1, b.2))
            });
            kept.into_iter()
                .map(|(count, name, t)| FacetValue {
                    value: name.to_string(),
                    count,
                    entity_type: Some(t.to_string()),
                })
                .collect()
        }
        _ => {
            let mut kept: Vec<(Arc<str>, u64)> = raw.values.into_iter().collect();
            top(&mut kept, limit, |a, b| {
                (Reverse(a.1), &a.0).cmp(&(Reverse(b.1), &b.0))
            });
            kept.into_iter()
                .map(|(value, count)| FacetValue {
                    value: value.to_string(),
                    count,
                    entity_type: None,
                })
                .collect()
        }
    }
}

/// Two lists of values sorted by value, as one, the counts of a value in both added.
fn merge_sorted(a: Vec<(Arc<str>, u64)>, b: Vec<(Arc<str>, u64)>) -> Vec<(Arc<str>, u64)> {
    if a.is_empty() {
        return b;
    }
    let mut out: Vec<(Arc<str>, u64)> = Vec::with_capacity(a.len().max(b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y.0 < x.0 => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        };
        let Some((value, n)) = next else { break };
        match out.last_mut() {
            Some((last, m)) if *last == value => *m += n,
            _ => out.push((value, n)),
        }
    }
    out
}

/// The first `limit` of `values` in `order`, in that order: a selection, then a
/// sort of what was selected, instead of sorting them all.
fn top<T>(values: &mut Vec<T>, limit: usize, order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if limit == 0 {
        values.clear();
        return;
    }
    if values.len() > limit {
        values.select_nth_unstable_by(limit - 1, &order);
        values.truncate(limit);
    }
    values.sort_unstable_by(order);
}

fn histogram(interval: HistogramInterval, days: &FxHashMap<i64, u64>) -> Vec<FacetValue> {
    let mut buckets: HashMap<(i32, u32), u64> = HashMap::new();
    for (&day, &n) in days {
        let Some(date) = DateTime::from_timestamp(day * SECONDS_PER_DAY, 0).map(|d| d.date_naive())
        else {
            continue;
        };
        *buckets.entry(bucket_of(interval, date)).or_default() += n;
    }
    let mut keys: Vec<(i32, u32)> = buckets.keys().copied().collect();
    keys.sort_unstable();
    // Fill the gaps with zero buckets so a chart has a continuous axis, unless that would be huge.
    if let (Some(&first), Some(&last)) = (keys.first(), keys.last()) {
        let mut filled = Vec::new();
        let mut k = first;
        while k <= last && filled.len() <= 2_000 {
            filled.push(k);
            k = next_bucket(interval, k);
        }
        if filled.len() <= 2_000 {
            keys = filled;
        }
    }
    keys.into_iter()
        .map(|k| FacetValue {
            value: bucket_label(interval, k),
            count: buckets.get(&k).copied().unwrap_or(0),
            entity_type: None,
        })
        .collect()
}

/// A bucket as (year, ordinal within the year): day of year, ISO week, month, or 0.
fn bucket_of(interval: HistogramInterval, d: NaiveDate) -> (i32, u32) {
    match interval {
        HistogramInterval::Day => (d.year(), d.ordinal()),
        HistogramInterval::Week => {
            let w = d.iso_week();
            (w.year(), w.week())
        }
        HistogramInterval::Month => (d.year(), d.month()),
        HistogramInterval::Year => (d.year(), 0),
    }
}

fn next_bucket(interval: HistogramInterval, (y, n): (i32, u32)) -> (i32, u32) {
    let last = match interval {
        HistogramInterval::Day => NaiveDate::from_ymd_opt(y, 12, 31).map_or(365, |d| d.ordinal()),
        HistogramInterval::Week => {
            NaiveDate::from_ymd_opt(y, 12, 28).map_or(52, |d| d.iso_week().week())
        }
        HistogramInterval::Month => 12,
        HistogramInterval::Year => return (y + 1, 0),
    };
    if n >= last {
        (y + 1, 1)
    } else {
        (y, n + 1)
    }
}

fn bucket_label(interval: HistogramInterval, (y, n): (i32, u32)) -> String {
    match interval {
        HistogramInterval::Day => NaiveDate::from_yo_opt(y, n)
            .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string()),
        HistogramInterval::Week => format!("{y:04}-W{n:02}"),
        HistogramInterval::Month => format!("{y:04}-{n:02}"),
        HistogramInterval::Year => format!("{y:04}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
            / SECONDS_PER_DAY
    }

    #[test]
    fn iso_weeks_cross_years() {
        // 2024-12-30 is in ISO week 1 of 2025.
        let days = FxHashMap::from_iter([(day(2024, 12, 30), 2), (day(2024, 12, 27), 1)]);
        let h = histogram(HistogramInterval::Week, &days);
        assert_eq!(
            h.iter()
                .map(|v| (v.value.as_str(), v.count))
                .collect::<Vec<_>>(),
            vec![("2024-W52", 1), ("2025-W01", 2)]
        );
    }

    #[test]
    fn months_fill_gaps_with_zero() {
        let days = FxHashMap::from_iter([(day(1987, 3, 5), 3), (day(1987, 6, 1), 1)]);
        let h = histogram(HistogramInterval::Month, &days);
        let got: Vec<(&str, u64)> = h.iter().map(|v| (v.value.as_str(), v.count)).collect();
        assert_eq!(
            got,
            vec![
                ("1987-03", 3),
                ("1987-04", 0),
                ("1987-05", 0),
                ("1987-06", 1)
            ]
        );
    }

    #[test]
    fn days_and_years_label() {
        let days = FxHashMap::from_iter([(day(2024, 2, 29), 1), (day(2024, 3, 1), 1)]);
        let h = histogram(HistogramInterval::Day, &days);
        assert_eq!(h[0].value, "2024-02-29");
        assert_eq!(h[1].value, "2024-03-01");
        assert_eq!(histogram(HistogramInterval::Year, &days)[0].value, "2024");
    }

    #[test]
    fn sorted_counts_merge_into_one_sorted_list() {
        let list = |v: &[(&str, u64)]| -> Vec<(Arc<str>, u64)> {
            v.iter().map(|&(k, n)| (Arc::from(k), n)).collect()
        };
        let a = list(&[("asia", 2), ("europe", 1), ("world", 5)]);
        let b = list(&[("africa", 1), ("europe", 3), ("zambia", 1)]);
        assert_eq!(
            merge_sorted(a.clone(), b),
            list(&[
                ("africa", 1),
                ("asia", 2),
                ("europe", 4),
                ("world", 5),
                ("zambia", 1)
            ])
        );
        assert_eq!(merge_sorted(Vec::new(), a.clone()), a);
        assert_eq!(merge_sorted(a.clone(), Vec::new()), a);
        // A value twice in one list (two dictionary entries that read the same) is added up.
        let twice = list(&[("asia", 1), ("asia", 1)]);
        assert_eq!(
            merge_sorted(twice, a),
            list(&[("asia", 4), ("europe", 1), ("world", 5)])
        );
    }
}
