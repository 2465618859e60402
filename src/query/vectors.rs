//! The stored vectors nearest a given one: what related articles in other languages
//! (`languages=any`) and searches by meaning (`semantic=true`) add to what words find.
//!
//! For few candidates (the articles a query lets through, every article when none), an exact
//! pass over their vectors: a quarter of a kilobyte an article, so a millisecond or two for
//! tens of thousands of articles but ~40 ms for a million. For more, the candidates filed
//! under the cells of the vector space nearest the query's ([`crate::embed::cells`], an
//! inverted-file index kept by [`crate::index::vector_store`]): an eighth of them compared, for
//! an approximate answer whose recall `examples/vector_recall.rs` measures (0.86 of the 50
//! nearest at a million synthetic articles, 0.95 on Reuters; `benches/README.md`).

use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::query::{BitSetDocSet, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{BitSet, DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

use crate::index::vector_store::{Records, VectorStore};

use super::rank::Scored;

/// A stored vector made a unit-length `f32` vector (the zero vector stays zero).
pub fn unit(q: &[u8]) -> Vec<f32> {
    let v: Vec<f32> = q.iter().map(|&x| f32::from(x as i8)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        return v;
    }
    v.into_iter().map(|x| x / norm).collect()
}

/// The direction of the sum of `units` (unit vectors of `dims` values; others are left out):
/// what a set of articles is about together. The zero vector when there is none.
pub fn centre<'a>(dims: usize, units: impl IntoIterator<Item = &'a [f32]>) -> Vec<f32> {
    let mut centre = vec![0.0f32; dims];
    for v in units.into_iter().filter(|v| v.len() == dims) {
        centre.iter_mut().zip(v).for_each(|(c, x)| *c += x);
    }
    let norm = centre.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        centre.iter_mut().for_each(|x| *x /= norm);
    }
    centre
}

/// Up to this many candidates (articles a query lets through), [`nearest`] compares them all:
/// ~1 ms in the store's order (0.04 µs a vector at a million), a few when a filter's matches
/// are looked up one by one; about what probing the minimum of cells costs.
pub const EXACT_UP_TO: u64 = 20_000;
/// Cells probed at least, however many articles the first ones held.
pub const MIN_CELLS: usize = 8;
/// The share of the candidates compared at least (and [`EXACT_UP_TO`] at least) before the
/// probing of cells stops (see [`NearestPlan`]).
pub const COMPARED_SHARE: f64 = 0.125;
/// What looking a filter's match up by its slot costs, in vectors read in the store's order.
/// At 1M: `examples/vector_recall.rs --tag` 0.18-0.32 µs a lookup (the filter's set built
/// included) against 0.02-0.04 µs a vector of a cell; a search by meaning with a date range
/// (`examples/latency`, p50), exact against cells: 28k matches 6.5 / 10.7 ms in one run,
/// 12.3 and 10.9 / 12.5 and 12.4 ms in a busier one; 49k 13.6 / 7.9 ms (so cells there). The
/// estimate of the cells' cost takes the filter as independent of the cells; a topical
/// filter (a tag) sits in the query's cells and costs them less.
pub const LOOKUP_COST: u64 = 12;

/// What a nearest-vector search chooses its plan from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The articles the query lets through (every live article without a filter).
    pub candidates: u64,
    /// Every live article: what the cells hold, filter or not.
    pub articles: u64,
}

/// How [`nearest`] looks for the vectors nearest a query's: a value, so that it can be read,
/// printed and tested apart from the search.
#[derive(Debug, Clone, PartialEq)]
pub enum NearestPlan {
    /// Compare every candidate: the exact answer, for few candidates.
    Exact,
    /// Compare the candidates filed under the cells nearest the query's vector
    /// ([`crate::embed::cells`]), cell after cell in `order` (nearest first), until at least
    /// `min_cells` cells are probed and at least `enough` candidates compared: an
    /// approximate answer (neighbours filed under a farther cell are missed), at a fraction
    /// of the exact pass's cost.
    Cells {
        order: Vec<u64>,
        min_cells: usize,
        enough: u64,
    },
}

impl NearestPlan {
    /// The plan for `scope` and the cells `by_nearness` (nearest first; empty when the
    /// query's vector has none): exact up to [`EXACT_UP_TO`] candidates; beyond, by cells
    /// unless a filter's matches looked up one by one cost less than the cells' share of the
    /// index read in order (a filter that keeps few of many articles: the cells hold them
    /// thinly, so reaching `enough` of them means reading most of the index).
    pub fn choose(scope: Scope, by_nearness: &[u64]) -> NearestPlan {
        let Scope {
            candidates,
            articles,
        } = scope;
        if candidates <= EXACT_UP_TO || by_nearness.is_empty() {
            return NearestPlan::Exact;
        }
        let enough = ((candidates as f64 * COMPARED_SHARE) as u64).max(EXACT_UP_TO);
        // Costs in vectors read in the store's order.
        let articles = articles.max(candidates);
        let by_cells = (enough as f64 * articles as f64 / candidates as f64)
            .max(articles as f64 * MIN_CELLS as f64 / by_nearness.len() as f64);
        let exact = if candidates < articles {
            candidates * LOOKUP_COST
        } else {
            articles
        };
        if exact as f64 <= by_cells {
            NearestPlan::Exact
        } else {
            NearestPlan::Cells {
                order: by_nearness.to_vec(),
                min_cells: MIN_CELLS,
                enough,
            }
        }
    }
}

/// What [`nearest_by`] found and how.
#[derive(Debug, Clone)]
pub struct Nearest {
    /// The nearest articles with their cosines, best first.
    pub hits: Vec<(f32, DocAddress)>,
    /// The articles the query let through.
    pub candidates: u64,
    /// The plan followed.
    pub plan: NearestPlan,
    /// Candidates compared with the query's vector.
    pub compared: u64,
    /// Cells probed (0 for an exact pass).
    pub cells_probed: usize,
}

/// The `k` articles whose vectors are nearest `source` (a [`crate::embed::quantize`]d
/// vector) among those `within` matches (every live article when `None`), best first, with
/// their cosines; articles without a vector (or a zero one) are never among them. Exact for
/// few candidates, by the nearest cells for many ([`NearestPlan::choose`]).
pub fn nearest(
    searcher: &Searcher,
    within: Option<&dyn Query>,
    source: &[u8],
    k: usize,
) -> crate::Result<Vec<(f32, DocAddress)>> {
    Ok(nearest_by(searcher, within, source, k, NearestPlan::choose)?.hits)
}

/// [`nearest`] with the plan chosen by `choose` from the [`Scope`] and the cells
/// nearest `source` (what the tools use to compare plans).
pub fn nearest_by(
    searcher: &Searcher,
    within: Option<&dyn Query>,
    source: &[u8],
    k: usize,
    choose: impl FnOnce(Scope, &[u64]) -> NearestPlan,
) -> crate::Result<Nearest> {
    let mut best = Best::new(source, k);
    let members = Members::of(searcher, within)?;
    let candidates = members.iter().map(Members::len).sum();
    let by_nearness: Vec<u64> = if best.is_empty() {
        Vec::new()
    } else {
        crate::embed::cells::Cells::shipped()?
            .by_nearness(source)
            .into_iter()
            .map(|(cell, _)| cell)
            .collect()
    };
    let scope = Scope {
        candidates,
        articles: searcher.num_docs(),
    };
    let plan = choose(scope, &by_nearness);
    let (mut compared, mut cells_probed) = (0u64, 0usize);
    if !best.is_empty() {
        // A damaged store is an error, not a segment without neighbours; another model's
        // vectors (another length) are left out.
        let stores: Vec<Option<VectorStore>> = searcher
            .segment_readers()
            .iter()
            .map(|s| Ok(Some(VectorStore::open(s)?).filter(|v| v.dims() == best.dims())))
            .collect::<tantivy::Result<_>>()?;
        match &plan {
            NearestPlan::Exact => {
                for (ord, (members, store)) in members.into_iter().zip(&stores).enumerate() {
                    let Some(store) = store else { continue };
                    match members {
                        // Every record, in the file's order.
                        Members::Alive(_) => compared += best.scan(ord, &members, store.all()),
                        // A filter's matches, few enough for the plan to compare them all,
                        // each looked up: not a pass over every record for them.
                        Members::Matched(set) => {
                            let mut docs = BitSetDocSet::from(set);
                            while docs.doc() != TERMINATED {
                                if let Some(vector) = store.get(docs.doc()) {
                                    compared += 1;
                                    best.consider(vector, DocAddress::new(ord as u32, docs.doc()));
                                }
                                docs.advance();
                            }
                        }
                    }
                }
            }
            NearestPlan::Cells {
                order,
                min_cells,
                enough,
            } => {
                for &cell in order {
                    if cells_probed >= *min_cells && compared >= *enough {
                        break;
                    }
                    cells_probed += 1;
                    for (ord, (members, store)) in members.iter().zip(&stores).enumerate() {
                        if let Some(store) = store {
                            compared += best.scan(ord, members, store.cell(cell as usize));
                        }
                    }
                }
            }
        }
    }
    Ok(Nearest {
        hits: best.into_sorted(),
        candidates,
        plan,
        compared,
        cells_probed,
    })
}

/// The articles of one segment a nearest-vector search may return.
enum Members<'a> {
    /// Every live article.
    Alive(&'a SegmentReader),
    /// Those a filter let through (live ones only).
    Matched(BitSet),
}

impl<'a> Members<'a> {
    fn of(searcher: &'a Searcher, within: Option<&dyn Query>) -> crate::Result<Vec<Members<'a>>> {
        let Some(within) = within else {
            return Ok(searcher
                .segment_readers()
                .iter()
                .map(Members::Alive)
                .collect());
        };
        let weight = within.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut all = Vec::new();
        for segment in searcher.segment_readers() {
            let mut set = BitSet::with_max_value(segment.max_doc());
            let alive = segment.alive_bitset();
            weight.for_each_no_score(segment, &mut |docs| {
                for &doc in docs {
                    if alive.is_none_or(|a| a.is_alive(doc)) {
                        set.insert(doc);
                    }
                }
            })?;
            all.push(Members::Matched(set));
        }
        Ok(all)
    }

    fn len(&self) -> u64 {
        match self {
            Members::Alive(segment) => u64::from(segment.num_docs()),
            Members::Matched(set) => set.len() as u64,
        }
    }

    fn contains(&self, doc: DocId) -> bool {
        match self {
            Members::Alive(segment) => segment.alive_bitset().is_none_or(|a| a.is_alive(doc)),
            Members::Matched(set) => set.contains(doc),
        }
    }
}

/// The best `k` articles by cosine with a source vector, as they are compared.
struct Best {
    source: Vec<i16>,
    source_norm: f32,
    k: usize,
    /// The best k so far: the heap's top is the worst kept.
    heap: BinaryHeap<Scored>,
}

impl Best {
    fn new(source: &[u8], k: usize) -> Best {
        let source: Vec<i16> = source.iter().map(|&x| i16::from(x as i8)).collect();
        let source_norm = (source
            .iter()
            .map(|&x| i32::from(x) * i32::from(x))
            .sum::<i32>() as f32)
            .sqrt();
        Best {
            heap: BinaryHeap::with_capacity(k + 1),
            k,
            source,
            source_norm,
        }
    }

    /// Nothing can be found: no room, or a zero source.
    fn is_empty(&self) -> bool {
        self.k == 0 || self.source_norm == 0.0
    }

    fn dims(&self) -> usize {
        self.source.len()
    }

    fn consider(&mut self, vector: &[u8], addr: DocAddress) {
        let (dot, norm) = crate::embed::dot_and_norm(vector, &self.source);
        if norm == 0 || dot == 0 {
            return;
        }
        let cos = (dot as f32 / ((norm as f32).sqrt() * self.source_norm)).clamp(-1.0, 1.0);
        let entry = Scored { score: cos, addr };
        // Full, and no better than the worst kept (the heap's top): it would be the one
        // popped.
        if self.heap.len() == self.k && self.heap.peek().is_some_and(|worst| entry > *worst) {
            return;
        }
        self.heap.push(entry);
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// Considers the candidates among `records` of segment `ord`; returns how many there were.
    fn scan(&mut self, ord: usize, members: &Members, records: Records) -> u64 {
        let mut n = 0;
        for (doc, vector) in records {
            if members.contains(doc) {
                n += 1;
                self.consider(vector, DocAddress::new(ord as u32, doc));
            }
        }
        n
    }

    fn into_sorted(self) -> Vec<(f32, DocAddress)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|s| (s.score, s.addr))
            .collect()
    }
}

/// The articles [`nearest`] found, as a query: each matches with its cosine as its score.
/// It takes a search's meaning hits through the same machinery as its word matches (counts,
/// facets, wire copies, ranking tier by tier, cursors).
///
/// Bound to the searcher it was made from: its documents are named by segment.
#[derive(Debug, Clone)]
pub struct NearestQuery {
    /// Per segment, its documents in order with their cosines.
    segments: Arc<HashMap<SegmentId, Vec<(DocId, f32)>>>,
}

impl NearestQuery {
    /// The query matching `hits` (from [`nearest`] on `searcher`).
    pub fn new(searcher: &Searcher, hits: &[(f32, DocAddress)]) -> NearestQuery {
        let mut segments: HashMap<SegmentId, Vec<(DocId, f32)>> = HashMap::new();
        for &(cos, addr) in hits {
            let id = searcher.segment_reader(addr.segment_ord).segment_id();
            segments.entry(id).or_default().push((addr.doc_id, cos));
        }
        for docs in segments.values_mut() {
            docs.sort_by_key(|d| d.0);
            docs.dedup_by_key(|d| d.0);
        }
        NearestQuery {
            segments: Arc::new(segments),
        }
    }

    /// The cosine of a document it matches on `searcher` (the one it was made from).
    pub fn cosine_on(&self, searcher: &Searcher, addr: DocAddress) -> Option<f32> {
        let id = searcher.segment_reader(addr.segment_ord).segment_id();
        let docs = self.segments.get(&id)?;
        let at = docs.binary_search_by_key(&addr.doc_id, |d| d.0).ok()?;
        Some(docs[at].1)
    }
}

impl Query for NearestQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for NearestQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs = self
            .segments
            .get(&reader.segment_id())
            .cloned()
            .unwrap_or_default();
        Ok(Box::new(NearestScorer { docs, at: 0, boost }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let found = self
            .segments
            .get(&reader.segment_id())
            .and_then(|docs| docs.iter().find(|d| d.0 == doc));
        match found {
            Some(&(_, cos)) => Ok(Explanation::new("cosine with the query's vector", cos)),
            None => Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is not among the nearest"
            ))),
        }
    }
}

struct NearestScorer {
    docs: Vec<(DocId, f32)>,
    at: usize,
    boost: Score,
}

impl DocSet for NearestScorer {
    fn advance(&mut self) -> DocId {
        self.at += 1;
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.at).map_or(TERMINATED, |d| d.0)
    }

    fn size_hint(&self) -> u32 {
        self.docs.len() as u32
    }
}

impl Scorer for NearestScorer {
    fn score(&mut self) -> Score {
        self.docs.get(self.at).map_or(0.0, |d| d.1 * self.boost)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::query::TermQuery;
    use tantivy::schema::IndexRecordOption;
    use tantivy::{IndexWriter, Term};

    use super::*;
    use crate::embed::cells::Cells;
    use crate::index::{document, tantivy_in_ram, test_support};

    /// A damaged vector store is an error wherever vectors are read: an article's own (what
    /// related articles start from), the candidates' of related articles for a draft, and the
    /// nearest; never "no vector", which would quietly rank without meaning.
    #[test]
    fn a_damaged_vector_store_is_an_error_not_a_missing_vector() {
        use crate::index::vector_store::EXTENSION;
        use crate::query::related::{related, related_to_id, Languages, Source};
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("index");
        let config = crate::config::Config::default();
        let index = crate::index::NewsIndex::open(&dir, &config.writer).expect("open");
        let bodies = [
            "Steel tariffs rise again in Europe as mills close",
            "European steel makers ask for tariffs on imports from Asia",
            "Tariffs on steel imports anger carmakers in Germany",
        ];
        for (i, body) in bodies.iter().enumerate() {
            test_support::put(&index, &format!("a{i}"), body);
        }
        let (_, vector) = index.get_with_vector("a1").unwrap().expect("a1");
        assert!(!vector.is_empty());
        let filters = crate::query::filter::Filters::default();
        let draft = Source::from_article(&test_support::article(
            "d",
            "Steel tariffs on imports in Europe",
        ));
        assert!(!related(
            &index,
            &config.related,
            &draft,
            &filters,
            5,
            Languages::Same
        )
        .expect("related before the damage")
        .hits
        .is_empty());
        index.shutdown_blocking().expect("shutdown");
        drop(index);
        let mut damaged = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == EXTENSION) {
                // The store's last word, its layout's version, before the footer tantivy
                // appends to every file (JSON, its length and a magic word, 4 bytes each).
                let mut bytes = std::fs::read(&path).unwrap();
                let n = bytes.len();
                let json = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
                let end = n - 8 - json;
                bytes[end - 4..end].copy_from_slice(&7u32.to_le_bytes());
                std::fs::write(&path, bytes).unwrap();
                damaged += 1;
            }
        }
        assert!(damaged > 0, "no vector store in {}", dir.display());

        let index = crate::index::NewsIndex::open(&dir, &config.writer).expect("reopen");
        let is_damage = |e: crate::Error| assert!(e.to_string().contains("vector store"), "{e}");
        is_damage(
            index
                .get_with_vector("a1")
                .expect_err("the article's vector"),
        );
        is_damage(
            related_to_id(&index, &config.related, "a1", &filters, 5, Languages::Same)
                .expect_err("related to a stored article"),
        );
        is_damage(
            related(
                &index,
                &config.related,
                &draft,
                &filters,
                5,
                Languages::Same,
            )
            .expect_err("related to a draft"),
        );
        is_damage(nearest(&index.searcher(), None, &vector, 5).expect_err("the nearest"));
        index.shutdown_blocking().expect("shutdown");
    }

    #[test]
    fn the_plan_compares_few_candidates_all_and_many_by_cells() {
        let all = |n| Scope {
            candidates: n,
            articles: n,
        };
        let cells: Vec<u64> = (0..256).collect();
        assert_eq!(
            NearestPlan::choose(all(EXACT_UP_TO), &cells),
            NearestPlan::Exact
        );
        assert_eq!(NearestPlan::choose(all(1_000_000), &[]), NearestPlan::Exact);
        assert_eq!(
            NearestPlan::choose(all(1_000_000), &cells),
            NearestPlan::Cells {
                order: cells.clone(),
                min_cells: MIN_CELLS,
                enough: 125_000,
            }
        );
        let NearestPlan::Cells { enough, .. } = NearestPlan::choose(all(EXACT_UP_TO + 1), &cells)
        else {
            panic!("cells");
        };
        assert_eq!(enough, EXACT_UP_TO);
        // A filter keeping 25,000 of a million: the cells would be read nearly whole to
        // compare 20,000 of them; looking the 25,000 up costs less.
        let filtered = |n| Scope {
            candidates: n,
            articles: 1_000_000,
        };
        assert_eq!(
            NearestPlan::choose(filtered(25_000), &cells),
            NearestPlan::Exact
        );
        // Keeping a quarter of them: an eighth of those is found in the nearest cells.
        assert!(matches!(
            NearestPlan::choose(filtered(250_000), &cells),
            NearestPlan::Cells { enough: 31_250, .. }
        ));
    }

    /// Probing every cell finds what the exact pass finds; probing one finds only what that
    /// cell holds; a filter and deletions hold in both.
    #[test]
    fn cells_find_the_exact_answer_when_all_are_probed_and_only_their_own_articles() {
        let (index, fields) = tantivy_in_ram().unwrap();
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let subjects = [
            "Oil prices fell as OPEC ministers met in Vienna",
            "The cocoa harvest in Bahia suffered from drought",
            "The central bank raised interest rates again",
            "The football club won the cup final",
            "Wheat exports to the Soviet Union rose",
            "The company reported higher quarterly earnings",
            "Gold prices climbed on inflation fears",
            "The government cut taxes on imported cars",
        ];
        for i in 0..48 {
            let body = format!("{} (report {i}).", subjects[i % subjects.len()]);
            let mut article = test_support::article(&format!("a{i}"), &body);
            article.tags = vec![if i % 2 == 0 { "even" } else { "odd" }.to_string()];
            writer
                .add_document(document::to_document(&article, &fields).unwrap())
                .unwrap();
            if i == 23 {
                writer.commit().unwrap();
            }
        }
        writer.delete_term(Term::from_field_text(fields.id, "a0"));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let source = crate::embed::text_vector("oil prices and OPEC output", "en").unwrap();
        let even = TermQuery::new(
            Term::from_field_text(fields.tag, "even"),
            IndexRecordOption::Basic,
        );
        for within in [None, Some(&even as &dyn Query)] {
            let exact =
                nearest_by(&searcher, within, &source, 10, |_, _| NearestPlan::Exact).unwrap();
            assert_eq!(exact.hits.len(), 10);
            let every = nearest_by(&searcher, within, &source, 10, |_, order| {
                NearestPlan::Cells {
                    order: order.to_vec(),
                    min_cells: order.len(),
                    enough: u64::MAX,
                }
            })
            .unwrap();
            assert_eq!(every.hits, exact.hits);
            assert_eq!(every.cells_probed, Cells::shipped().unwrap().len());
            assert_eq!(every.compared, exact.compared);
            assert_eq!(exact.compared, if within.is_some() { 23 } else { 47 });

            let first = Cells::shipped().unwrap().by_nearness(&source)[0].0;
            let one = nearest_by(&searcher, within, &source, 10, |_, order| {
                NearestPlan::Cells {
                    order: order.to_vec(),
                    min_cells: 1,
                    enough: 0,
                }
            })
            .unwrap();
            assert_eq!(one.cells_probed, 1);
            let vectors =
                document::stored_vectors(&searcher, one.hits.iter().map(|h| h.1)).unwrap();
            for v in &vectors {
                assert_eq!(Cells::shipped().unwrap().cell_of(v), Some(first));
            }
            for (_, addr) in exact.hits.iter().chain(&one.hits) {
                let article = document::article_at(&searcher, *addr, &fields).unwrap();
                assert_ne!(article.id, "a0", "a deleted article");
                if within.is_some() {
                    assert_eq!(article.tags, ["even"]);
                }
            }
        }
    }
}
