//! Recall and speed of the nearest-vector search by cells (`query::vectors`,
//! `NearestPlan::Cells`) against the exact pass, on an existing index.
//!
//! Sources: random live articles (seeded, drawn without replacement), each asking for the `k`
//! articles nearest either its stored vector (`--source article`, what related articles with
//! `languages=any` ask) or the vector of its title as a query text (`--source title`, what a
//! search by meaning asks). For each seed: recall@k (the share of the exact answer the cells
//! find), the articles compared, the cells probed, and the median time of each way. Then the
//! mean, min and max over seeds. Cells are used even where the server would compare every
//! candidate (an index under `EXACT_UP_TO` articles), so that small corpora can be measured.
//!
//! ```sh
//! cargo run --release --example vector_recall -- /tmp/idx1m --seeds 1,2,3 --sample 200
//! cargo run --release --example vector_recall -- /tmp/idx1m --share 0.2 --min-cells 4
//! ```

#[path = "sampling/mod.rs"]
mod sampling;

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use newsindex::index::{document, NewsIndex};
use newsindex::query::vectors::{nearest_by, NearestPlan, COMPARED_SHARE, MIN_CELLS};
use tantivy::DocAddress;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        bail!("usage: vector_recall INDEX_DIR [--seeds 1,2,3] [--sample N] [--k N] [--source article|title] [--share S] [--min-cells N] [--tag T]");
    };
    let (mut seeds, mut sample, mut k) = (vec![1, 2, 3], 200usize, 50usize);
    let (mut share, mut min_cells, mut by_title) = (COMPARED_SHARE, MIN_CELLS, false);
    let mut tag: Option<String> = None;
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seeds" => seeds = sampling::parse_seeds(&value)?,
            "--sample" => sample = value.parse()?,
            "--k" => k = value.parse()?,
            "--share" => share = value.parse()?,
            "--min-cells" => min_cells = value.parse()?,
            "--source" => by_title = value == "title",
            "--tag" => tag = Some(value),
            _ => bail!("unknown option {flag}"),
        }
    }
    let index = NewsIndex::open_read_only(Path::new(&dir)).context("open the index")?;
    let searcher = index.searcher();
    // `--tag T`: the nearest among the articles tagged T, as a search by meaning with a filter.
    let filter = tag.as_ref().map(|t| {
        tantivy::query::TermQuery::new(
            tantivy::Term::from_field_text(index.fields().tag, &t.to_lowercase()),
            tantivy::schema::IndexRecordOption::Basic,
        )
    });
    let within = filter.as_ref().map(|q| q as &dyn tantivy::query::Query);
    let live: Vec<DocAddress> = searcher
        .segment_readers()
        .iter()
        .enumerate()
        .flat_map(|(ord, s)| {
            s.doc_ids_alive()
                .map(move |d| DocAddress::new(ord as u32, d))
        })
        .collect();
    println!(
        "index {dir}: {} live articles in {} segments{}; k = {k}, {} sources a seed ({}), cells: at least {min_cells} probed and a share of {share} of the candidates compared",
        live.len(),
        searcher.segment_readers().len(),
        tag.as_ref().map_or(String::new(), |t| format!(", candidates tagged {t}")),
        sample,
        if by_title { "their titles as query texts" } else { "their stored vectors" },
    );
    println!(
        "| seed | sources | recall@{k} | candidates | compared by cells | cells probed | exact p50 ms | cells p50 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut recalls = Vec::new();
    for &seed in &seeds {
        let (mut recall, mut compared, mut probed, mut n) = (0.0f64, 0u64, 0usize, 0usize);
        let mut candidates = 0u64;
        let (mut exact_ms, mut cells_ms) = (Vec::new(), Vec::new());
        for at in sampling::draw(live.len(), sample, seed) {
            let addr = live[at];
            let vector = if by_title {
                let article = document::article_at(&searcher, addr, index.fields())?;
                let lang = article.language.as_deref().unwrap_or("en");
                newsindex::embed::text_vector(&article.title, lang)?
            } else {
                document::stored_vectors(&searcher, [addr])?.remove(0)
            };
            let t = Instant::now();
            let exact = nearest_by(&searcher, within, &vector, k, |_, _| NearestPlan::Exact)?;
            exact_ms.push(t.elapsed().as_secs_f64() * 1e3);
            if exact.hits.is_empty() {
                continue;
            }
            candidates = exact.candidates;
            let t = Instant::now();
            // The server's plan but for its floor of `EXACT_UP_TO`, which would make a small
            // corpus's search exact.
            let cells = nearest_by(&searcher, within, &vector, k, |scope, order| {
                NearestPlan::Cells {
                    order: order.to_vec(),
                    min_cells,
                    enough: (scope.candidates as f64 * share) as u64,
                }
            })?;
            cells_ms.push(t.elapsed().as_secs_f64() * 1e3);
            let want: HashSet<DocAddress> = exact.hits.iter().map(|h| h.1).collect();
            let found = cells.hits.iter().filter(|h| want.contains(&h.1)).count();
            recall += found as f64 / want.len() as f64;
            compared += cells.compared;
            probed += cells.cells_probed;
            n += 1;
        }
        let r = recall / n.max(1) as f64;
        recalls.push(r);
        println!(
            "| {seed} | {n} | {r:.3} | {candidates} | {} | {:.1} | {:.2} | {:.2} |",
            compared / n.max(1) as u64,
            probed as f64 / n.max(1) as f64,
            median(&mut exact_ms),
            median(&mut cells_ms),
        );
    }
    let (mean, min, max) = sampling::spread(&recalls);
    println!(
        "\nrecall@{k} over seeds {}: mean {mean:.3} (min {min:.3}, max {max:.3})",
        sampling::join(&seeds)
    );
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
