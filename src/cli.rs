//! The command line: `serve`, `ingest`, `export`, `backup`, `reindex`, `search`, `extract`.
//! Every command calls the library directly; only `ingest --server` goes through HTTP.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing_subscriber::EnvFilter;

use crate::backend::Backend as _;
use crate::config::{BackendKind, Config, Overrides};
use crate::formats::{self, Format};
use crate::http::{self, AppState};
use crate::index::{BulkIndexer, NewsIndex};
use crate::ingest::ItemError;
use crate::opensearch::OpenSearchBackend;
use crate::query::{run_plan, SearchPlan, SearchRequest};

/// newsindex: a search and indexing server for news articles.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// Config file (default: ./config.toml when it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve {
        /// Address to listen on.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Index directory.
        #[arg(long)]
        index: Option<PathBuf>,
        /// Do not load the demo corpus into an empty index.
        #[arg(long)]
        no_demo: bool,
        /// Listen on a non-loopback address although no keys are configured (anyone who can
        /// reach it may then write); refused without this flag.
        #[arg(long)]
        insecure_no_keys: bool,
    },
    /// Ingest articles from files, directories or globs, offline or through a server: NDJSON or
    /// JSON arrays (.ndjson .jsonl .json), HTML article pages (.html .htm), RSS/Atom feeds (.xml
    /// .rss .atom .feed), scraped text (.txt), any of them gzipped (.gz).
    Ingest {
        /// Files, directories (read recursively) or glob patterns (`*`, `?`, `**`, `[a-z]`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The files' format; `auto` decides by file extension, else by content.
        #[arg(long, value_enum, default_value = "auto")]
        format: Format,
        /// Write straight into this index directory (no server may hold it).
        #[arg(long, conflicts_with = "server")]
        index: Option<PathBuf>,
        /// Send to a running server instead, e.g. http://127.0.0.1:7400. A batch the server
        /// refuses as busy (503, 429) is sent again after its Retry-After, for up to 2 minutes.
        #[arg(long)]
        server: Option<String>,
        /// Admin key for --server.
        #[arg(long, env = "NEWSINDEX_ADMIN_KEY", hide_env_values = true)]
        key: Option<String>,
        /// Indexing threads for offline ingest (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Indexing memory for offline ingest, MB, shared by the indexing threads: each writes
        /// segments of its share (1M synthetic articles make 4 segments with the default, 6
        /// with 512; a related request is faster on fewer). Lower it on a small machine.
        #[arg(long, default_value_t = 1024)]
        heap_mb: usize,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Print the entities the server would extract from an article (JSON) or plain text
    /// (first line = title).
    Extract {
        /// A JSON article or a text file; `-` reads standard input.
        file: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild an index from its stored articles with this version's schema and analysis
    /// (done at start when the schema changed; run it after changing
    /// `[analysis] default_language`). The index must not be open in a server.
    ///
    /// On OpenSearch (`[backend] kind = "opensearch"`), while servers keep serving: builds a
    /// new concrete index (`NAME-000002`, …) with this version's settings and mapping, copies
    /// every stored article into it, then moves the alias `NAME` to it and deletes the old
    /// index. Searches go on throughout. Writes go on into the old index during the copy and
    /// are carried over in rounds; for the last ones the old index is blocked for writes for
    /// a moment (a few requests: the command prints how long), and writes sent then are
    /// answered 503 with Retry-After (retry them: they go to the new index). An index made by
    /// an earlier version (a concrete index named NAME) becomes NAME-000001 behind the alias.
    /// Run one reindex at a time.
    Reindex {
        /// Index directory (tantivy; given, it is reindexed even if the backend is OpenSearch).
        #[arg(long)]
        index: Option<PathBuf>,
        /// Indexing threads (tantivy; default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Indexing memory, MB (tantivy), as for `ingest`.
        #[arg(long, default_value_t = 1024)]
        heap_mb: usize,
        /// OpenSearch: keep the old index (without the alias, writable) instead of deleting it.
        #[arg(long)]
        keep_old: bool,
        /// No progress bar (there is one on stderr when it is a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Write every stored article as NDJSON, for `ingest` into another index or server.
    ///
    /// One article per line, as `GET /articles/{id}` answers it (`entities_source` and
    /// `language_source` included, so nothing is derived again differently): exactly what
    /// `ingest` and `POST /articles` take back. Streams one commit in index order, with a
    /// progress bar on stderr when it is a terminal; works while a server holds the index
    /// (it is only read).
    Export {
        /// Index directory.
        #[arg(long)]
        index: Option<PathBuf>,
        /// Where to write; `-` is standard output. A file is written as FILE.partial and
        /// renamed to FILE once complete.
        #[arg(long, short, default_value = "-")]
        output: PathBuf,
        /// No progress bar (there is one on stderr when it is a terminal).
        #[arg(long)]
        quiet: bool,
    },
    /// Back up the last commit of an index into DEST, also while a server serves and writes it.
    ///
    /// The commit's files (hard links when DEST is on the index's file system, copies
    /// otherwise: copy a hard-linked backup elsewhere to survive losing the disk), then
    /// `meta.json` last, everything synced; the backup is then opened and its article count
    /// checked. DEST must not exist (its parent must) or be an empty directory. Restore by
    /// starting a server on it (`serve --index DEST`), or by copying it into place while no
    /// server runs.
    Backup {
        /// Index directory.
        #[arg(long)]
        index: Option<PathBuf>,
        /// The backup's directory.
        dest: PathBuf,
    },
    /// Search an index and print a table.
    Search {
        /// The query.
        query: String,
        /// Index directory.
        #[arg(long)]
        index: Option<PathBuf>,
        /// Hits to print.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print the search's plan (what it asks for) first; `RUST_LOG=newsindex=debug` also
        /// logs how tantivy collects it.
        #[arg(long)]
        explain: bool,
    },
}

/// Installs the tracing subscriber: `RUST_LOG`, else info for us and warnings for tantivy.
pub fn init_tracing(cli: &Cli) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("newsindex=info,tower_http=info,tantivy=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The run's settings (file < environment < `overrides`), and the default language and
/// Japanese dictionary they name set for the process's analyzers.
fn load_config(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    let config = Config::load(file, &env_map(), overrides)?;
    crate::analysis::set_default_language(config.default_language);
    if let Err(e) = crate::analysis::japanese::load(&config.japanese_dictionary) {
        tracing::warn!("Japanese words are cut by script, without a dictionary: {e:#}");
    }
    Ok(config)
}

fn env_map() -> HashMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("NEWSINDEX_"))
        .collect()
}

/// Runs a command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Extract { file, json } => extract(&file, json),
        Command::Serve {
            listen,
            index,
            no_demo,
            insecure_no_keys,
        } => {
            let overrides = Overrides {
                listen,
                index_dir: index,
                no_demo,
                insecure_no_keys,
            };
            let config = load_config(cli.config.as_deref(), &overrides)?;
            serve(config)
        }
        Command::Ingest {
            files,
            format,
            index,
            server,
            key,
            threads,
            heap_mb,
            quiet,
        } => {
            if let Some(url) = server {
                return ingest_http(&files, format, &url, key.as_deref(), quiet);
            }
            let overrides = Overrides {
                index_dir: index,
                ..Overrides::default()
            };
            let explicit_index = overrides.index_dir.is_some();
            let config = load_config(cli.config.as_deref(), &overrides)?;
            if config.backend.kind == BackendKind::OpenSearch && !explicit_index {
                return ingest_opensearch(&files, format, &config.backend, quiet);
            }
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            ingest_offline(&files, format, &config.index_dir, threads, heap_mb, quiet)
        }
        Command::Reindex {
            index,
            threads,
            heap_mb,
            keep_old,
            quiet,
        } => {
            let overrides = Overrides {
                index_dir: index,
                ..Overrides::default()
            };
            let explicit_index = overrides.index_dir.is_some();
            let config = load_config(cli.config.as_deref(), &overrides)?;
            if config.backend.kind == BackendKind::OpenSearch && !explicit_index {
                return reindex_opensearch(&config.backend, keep_old, quiet);
            }
            if keep_old {
                bail!("--keep-old is for an index on OpenSearch ([backend] kind = \"opensearch\")");
            }
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
            let started = std::time::Instant::now();
            let n = crate::index::reindex::reindex(&config.index_dir, threads, heap_mb)?;
            eprintln!(
                "reindexed {n} articles in `{}` in {:.1} s",
                config.index_dir.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Export {
            index,
            output,
            quiet,
        } => {
            let overrides = Overrides {
                index_dir: index,
                ..Overrides::default()
            };
            let explicit_index = overrides.index_dir.is_some();
            let config = load_config(cli.config.as_deref(), &overrides)?;
            if config.backend.kind == BackendKind::OpenSearch && !explicit_index {
                let backend = OpenSearchBackend::open(&config.backend)?;
                let label = format!("OpenSearch index `{}`", config.backend.index);
                return export(&backend, &label, &output, quiet);
            }
            let index = open_read_only(&config.index_dir)?;
            let backend = crate::backend::TantivyBackend::new(Arc::new(index));
            let label = format!("`{}`", config.index_dir.display());
            export(&backend, &label, &output, quiet)
        }
        Command::Backup { index, dest } => {
            let overrides = Overrides {
                index_dir: index,
                ..Overrides::default()
            };
            let config = load_config(cli.config.as_deref(), &overrides)?;
            let index = open_read_only(&config.index_dir)?;
            let report = index.backup(&dest).context("backup failed")?;
            eprintln!(
                "backed up {} articles ({} segments, {} files, {:.1} MB, {} hard-linked) into `{}` in {:.1} s",
                report.articles,
                report.segments,
                report.files,
                report.bytes as f64 / 1e6,
                report.linked,
                dest.display(),
                report.took_ms / 1e3
            );
            Ok(())
        }
        Command::Search {
            query,
            index,
            limit,
            explain,
        } => {
            let overrides = Overrides {
                index_dir: index,
                ..Overrides::default()
            };
            let config = load_config(cli.config.as_deref(), &overrides)?;
            search(&config, &query, limit, explain)
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    // Before the index is opened or the demo corpus loaded: the mistake is said at once.
    if let Some(why) = config.listen_refusal(config.listen) {
        bail!(why);
    }
    let rt = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    if config.backend.kind == BackendKind::OpenSearch {
        return rt.block_on(serve_opensearch(config));
    }
    rt.block_on(async move {
        let dir = config.index_dir.clone();
        let index = {
            let cfg = config.writer.clone();
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || NewsIndex::open(&dir, &cfg)).await?
        }
        .with_context(|| format!("failed to open the index in `{}`", dir.display()))?;
        let index = Arc::new(index);
        if config.demo_corpus && index.num_articles() == 0 {
            let index = index.clone();
            tokio::task::spawn_blocking(move || crate::demo::load_demo(&index))
                .await?
                .context("failed to load the demo corpus")?;
        }
        serve_backend(Arc::new(crate::backend::TantivyBackend::new(index)), config).await
    })
}

/// Listens on `config.listen` and serves the API from `backend` until a shutdown signal.
async fn serve_backend(
    backend: Arc<dyn crate::backend::Backend>,
    config: Config,
) -> anyhow::Result<()> {
    // Loaded before listening (under a second) rather than by the first write or related request, which
    // would wait for it.
    let started = std::time::Instant::now();
    tokio::task::spawn_blocking(crate::embed::load)
        .await?
        .context("failed to load the embedding model")?;
    tracing::info!(
        secs = started.elapsed().as_secs_f64(),
        "embedding model loaded"
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("failed to listen on {}", config.listen))?;
    let state = AppState::new(backend, Arc::new(config));
    http::serve(listener, state, http::shutdown_signal()).await?;
    Ok(())
}

/// `serve` over an index on OpenSearch: no local index; the index is created (or its mapping
/// version checked) at start, and filled with the demo corpus when empty.
async fn serve_opensearch(config: Config) -> anyhow::Result<()> {
    let cfg = config.backend.clone();
    let backend = tokio::task::spawn_blocking(move || OpenSearchBackend::open(&cfg))
        .await?
        .with_context(|| {
            format!(
                "failed to open the OpenSearch index `{}` at {}",
                config.backend.index,
                config.backend.urls.join(", ")
            )
        })?;
    let backend = Arc::new(backend);
    if config.demo_corpus && backend.num_articles() == 0 {
        let b = backend.clone();
        tokio::task::spawn_blocking(move || crate::demo::load_demo_opensearch(&b))
            .await?
            .context("failed to load the demo corpus")?;
    }
    serve_backend(backend, config).await
}

/// `reindex` on OpenSearch: a new concrete index, the alias moved to it (see
/// [`crate::opensearch::reindex`]).
fn reindex_opensearch(
    config: &crate::config::BackendConfig,
    keep_old: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    use crate::opensearch::reindex::{reindex, Progress, ReindexOptions};
    let backend = OpenSearchBackend::connect(config)?;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        // Drawn only when stderr is a terminal.
        ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("reindex {bar:40} {pos}/{len} articles, {eta} left {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let options = ReindexOptions {
        shards: config.shards,
        replicas: config.replicas,
        keep_old,
        node_left_delay_secs: config.node_left_delay_secs,
    };
    let report = reindex(&backend, &options, &mut |p| match p {
        Progress::Total(n) => bar.set_length(n),
        Progress::Copied(n) => {
            // Changes carried over after the copy go past the first count.
            if bar.position() + n > bar.length().unwrap_or(0) {
                bar.set_length(bar.position() + n);
            }
            bar.inc(n);
        }
        Progress::Phase(what) => bar.set_message(what.to_string()),
    });
    bar.finish_and_clear();
    let report = report.with_context(|| {
        format!(
            "reindexing the OpenSearch index `{}` at {} failed (the old index is left as it was)",
            config.index,
            config.urls.join(", ")
        )
    })?;
    eprintln!(
        "reindexed {} articles of `{}` into `{}` in {:.1} s ({} written, {} deletions carried \
         over, {} catch-up rounds); writes were blocked for {} ms; the alias `{}` names `{}`; \
         the old index `{}` was {}",
        report.articles,
        report.old,
        report.new,
        report.took.as_secs_f64(),
        report.copied,
        report.deleted,
        report.rounds,
        report.blocked.as_millis(),
        config.index,
        report.new,
        report.old,
        if report.kept_old { "kept" } else { "deleted" }
    );
    Ok(())
}

/// Offline ingest into the OpenSearch index of `config`: `_bulk` requests of 1 000 articles,
/// made visible at the end.
fn ingest_opensearch(
    args: &[PathBuf],
    format: Format,
    config: &crate::config::BackendConfig,
    quiet: bool,
) -> anyhow::Result<()> {
    use crate::backend::Write;
    const BATCH: usize = 1_000;
    let backend = OpenSearchBackend::open(config).with_context(|| {
        format!(
            "failed to open the OpenSearch index `{}` at {}",
            config.index,
            config.urls.join(", ")
        )
    })?;
    let mut tally = Tally::new(quiet);
    let files = input_files(args, format, &mut tally);
    for (k, file) in files.iter().enumerate() {
        tally.file(k + 1, files.len());
        // (line, id, write) of the articles not sent yet.
        let mut pending: Vec<(usize, String, crate::backend::Prepared)> = Vec::new();
        let mut failure = None;
        let flush = |pending: &mut Vec<(usize, String, crate::backend::Prepared)>,
                     tally: &mut Tally|
         -> anyhow::Result<()> {
            let batch = std::mem::take(pending);
            let mut origins = Vec::with_capacity(batch.len());
            let mut writes = Vec::with_capacity(batch.len());
            for (line, id, w) in batch {
                origins.push((line, id));
                writes.push(w);
            }
            let n = writes.len() as u64;
            let applied = backend.apply_blocking(writes, false)?;
            for f in &applied.failed {
                let (line, id) = &origins[f.position];
                tally.error(
                    file,
                    &ItemError {
                        line: *line,
                        id: Some(id.clone()),
                        error: f.reason.clone(),
                    },
                );
            }
            let ok = n - applied.failed.len() as u64;
            tally.ok += ok;
            tally.bar.inc(ok);
            Ok(())
        };
        let mut line = 0usize;
        let read = formats::read_file(file, format, &mut |item| {
            line += 1;
            match item {
                Ok(article) => {
                    let id = article.id.clone();
                    let at = line;
                    match backend.prepare(Write::Upsert(Box::new(article))) {
                        Ok(w) => pending.push((at, id, w)),
                        Err(e) => tally.error(
                            file,
                            &ItemError {
                                line: at,
                                id: Some(id),
                                error: e.to_string(),
                            },
                        ),
                    }
                    if pending.len() >= BATCH && failure.is_none() {
                        if let Err(e) = flush(&mut pending, &mut tally) {
                            failure = Some(e);
                        }
                    }
                }
                Err(e) => tally.error(file, &e),
            }
        });
        if let Err(e) = read {
            tally.file_error(&format!("{}: cannot read: {e}", file.display()));
        }
        if let Some(e) = failure {
            return Err(e).context("indexing failed");
        }
        if !pending.is_empty() {
            flush(&mut pending, &mut tally).context("indexing failed")?;
        }
    }
    tally.bar.set_message("refreshing");
    backend
        .apply_blocking(Vec::new(), true)
        .context("refresh failed")?;
    tally.done();
    Ok(())
}

struct Tally {
    ok: u64,
    failed: u64,
    bad_files: u64,
    bar: ProgressBar,
    started: Instant,
    /// Whether a busy server has made a batch wait (said once).
    waited: bool,
}

impl Tally {
    fn new(quiet: bool) -> Tally {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {elapsed_precise} {prefix} {human_pos} articles ({per_sec}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Tally {
            ok: 0,
            failed: 0,
            bad_files: 0,
            bar,
            started: Instant::now(),
            waited: false,
        }
    }

    fn error(&mut self, file: &Path, e: &ItemError) {
        self.failed += 1;
        self.bar.set_message(format!("{} errors", self.failed));
        if self.failed <= 20 {
            self.bar.suspend(|| {
                eprintln!(
                    "{}:{}: {}{}",
                    file.display(),
                    e.line,
                    e.id.as_ref().map(|i| format!("[{i}] ")).unwrap_or_default(),
                    e.error
                )
            });
        } else if self.failed == 21 {
            self.bar
                .suspend(|| eprintln!("(further errors are counted, not printed)"));
        }
    }

    /// A file (or an argument naming none) that could not be read at all: always printed.
    fn file_error(&mut self, what: &str) {
        self.bad_files += 1;
        self.bar.suspend(|| eprintln!("{what}"));
    }

    /// Shows which file of how many is being read.
    fn file(&mut self, k: usize, n: usize) {
        if n > 1 {
            self.bar.set_prefix(format!("file {k}/{n}"));
        }
    }

    fn done(self) {
        self.bar.finish_and_clear();
        if self.bad_files > 0 {
            eprintln!("{} files could not be read", self.bad_files);
        }
        let secs = self.started.elapsed().as_secs_f64();
        println!(
            "indexed {} articles, {} failed, in {:.1} s ({:.0} articles/s)",
            self.ok,
            self.failed,
            secs,
            self.ok as f64 / secs.max(1e-9)
        );
    }
}

/// The files the arguments name; those that are missing are reported and skipped.
fn input_files(args: &[PathBuf], format: Format, tally: &mut Tally) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for item in formats::expand_paths(args, format != Format::Auto) {
        match item {
            Ok(f) => files.push(f),
            Err(e) => tally.file_error(&e),
        }
    }
    files
}

fn ingest_offline(
    args: &[PathBuf],
    format: Format,
    dir: &Path,
    threads: usize,
    heap_mb: usize,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut bulk = BulkIndexer::open(dir, threads, heap_mb)
        .with_context(|| format!("failed to open the index in `{}`", dir.display()))?;
    let mut tally = Tally::new(quiet);
    let files = input_files(args, format, &mut tally);
    let mut failure = None;
    for (k, file) in files.iter().enumerate() {
        tally.file(k + 1, files.len());
        let read = formats::read_file(file, format, &mut |item| match item {
            Ok(article) => match bulk.add(&article) {
                Ok(()) => {
                    tally.ok += 1;
                    tally.bar.inc(1);
                }
                Err(e) => failure = Some(e),
            },
            Err(e) => tally.error(file, &e),
        });
        if let Err(e) = read {
            tally.file_error(&format!("{}: cannot read: {e}", file.display()));
        }
        if let Some(e) = failure.take() {
            return Err(e).context("indexing failed");
        }
    }
    tally.bar.set_message("committing");
    bulk.finish().context("commit failed")?;
    tally.done();
    Ok(())
}

fn ingest_http(
    args: &[PathBuf],
    format: Format,
    url: &str,
    key: Option<&str>,
    quiet: bool,
) -> anyhow::Result<()> {
    const BATCH: usize = 2_000;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::new();
    let endpoint = format!("{}/articles", url.trim_end_matches('/'));
    let mut tally = Tally::new(quiet);
    let files = input_files(args, format, &mut tally);
    for (k, file) in files.iter().enumerate() {
        tally.file(k + 1, files.len());
        let mut lines: Vec<usize> = Vec::new();
        let mut body: Vec<u8> = Vec::new();
        let send =
            |lines: &mut Vec<usize>, body: &mut Vec<u8>, tally: &mut Tally| -> anyhow::Result<()> {
                if lines.is_empty() {
                    return Ok(());
                }
                let batch = bytes::Bytes::from(std::mem::take(body));
                let started = Instant::now();
                let (status, answer) = loop {
                    let mut req = client
                        .post(&endpoint)
                        .header("content-type", "application/x-ndjson")
                        .body(batch.clone());
                    if let Some(k) = key {
                        req = req.bearer_auth(k);
                    }
                    let resp = match rt.block_on(req.send()) {
                        Ok(resp) => resp,
                        // A busy server answers before reading the body and closes, which
                        // may break the sending of it: the server was reached, so the batch
                        // is sent again (articles are upserted by id). Unreachable is final.
                        Err(e) if !e.is_connect() && started.elapsed() < MAX_RETRYING => {
                            std::thread::sleep(Duration::from_secs(1));
                            continue;
                        }
                        Err(e) => return Err(e).context(format!("cannot reach {endpoint}")),
                    };
                    let status = resp.status();
                    let wait = retry_after(&resp);
                    let answer: serde_json::Value = rt
                        .block_on(resp.json())
                        .context("unreadable answer from the server")?;
                    // A busy server (its uploads at their limit, or its index blocked for
                    // writes a moment) stored nothing of the batch and says when to retry.
                    let busy = status == reqwest::StatusCode::SERVICE_UNAVAILABLE
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    if !busy || started.elapsed() + wait > MAX_RETRYING {
                        break (status, answer);
                    }
                    if !std::mem::replace(&mut tally.waited, true) {
                        tally.bar.suspend(|| {
                            eprintln!(
                                "server busy ({status}: {}); retrying the batch for up to {} s",
                                answer["error"]["message"].as_str().unwrap_or(""),
                                MAX_RETRYING.as_secs()
                            )
                        });
                    }
                    std::thread::sleep(wait);
                };
                if !status.is_success() {
                    bail!("server answered {status}: {answer}");
                }
                let indexed = answer["indexed"].as_u64().unwrap_or(0);
                tally.ok += indexed;
                tally.bar.inc(indexed);
                if let Some(errors) = answer["errors"].as_array() {
                    for e in errors {
                        let k = e["line"].as_u64().unwrap_or(1) as usize;
                        let line = lines.get(k.saturating_sub(1)).copied().unwrap_or(0);
                        let item = ItemError {
                            line,
                            id: e["id"].as_str().map(String::from),
                            error: e["error"].as_str().unwrap_or("").to_string(),
                        };
                        tally.error(file, &item);
                    }
                }
                lines.clear();
                Ok(())
            };
        let mut failure = None;
        let read = formats::read_file(file, format, &mut |item| {
            if failure.is_some() {
                return;
            }
            match item {
                Ok(article) => {
                    if let Ok(json) = serde_json::to_vec(&article) {
                        body.extend_from_slice(&json);
                        body.push(b'\n');
                        lines.push(0);
                    }
                    if lines.len() >= BATCH {
                        if let Err(e) = send(&mut lines, &mut body, &mut tally) {
                            failure = Some(e);
                        }
                    }
                }
                Err(e) => tally.error(file, &e),
            }
        });
        if let Err(e) = read {
            tally.file_error(&format!("{}: cannot read: {e}", file.display()));
        }
        if let Some(e) = failure {
            return Err(e);
        }
        send(&mut lines, &mut body, &mut tally)?;
    }
    tally.done();
    Ok(())
}

/// How long `ingest --server` keeps retrying a batch that a busy server refused.
const MAX_RETRYING: Duration = Duration::from_secs(120);

/// The wait a `Retry-After` header asks for (in seconds; 1 s without one, at most 30 s).
fn retry_after(resp: &reqwest::Response) -> Duration {
    let secs = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    Duration::from_secs(secs.clamp(1, 30))
}

fn open_read_only(dir: &Path) -> anyhow::Result<NewsIndex> {
    NewsIndex::open_read_only(dir)
        .with_context(|| format!("failed to open the index in `{}`", dir.display()))
}

fn export(
    index: &dyn crate::backend::Backend,
    label: &str,
    output: &Path,
    quiet: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let total = index.num_articles();
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        // Drawn only when stderr is a terminal.
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("export {bar:40} {pos}/{len} articles, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let count = if output == Path::new("-") {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
        match index.write_ndjson(&mut out, &mut |n| bar.inc(n)) {
            Ok(n) => n,
            // The reader had enough (`| head`): not an error.
            Err(crate::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                bar.finish_and_clear();
                return Ok(());
            }
            Err(e) => return Err(e).context("export failed"),
        }
    } else {
        let mut name = output.as_os_str().to_os_string();
        name.push(".partial");
        let partial = PathBuf::from(name);
        let file = std::fs::File::create(&partial)
            .with_context(|| format!("cannot create `{}`", partial.display()))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let count = index.write_ndjson(&mut out, &mut |n| bar.inc(n));
        let count = count.and_then(|n| {
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&partial, output)?;
            Ok(n)
        });
        match count {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e).with_context(|| format!("export to `{}` failed", output.display()));
            }
        }
    };
    bar.finish_and_clear();
    eprintln!(
        "exported {count} articles from {label} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn search(config: &Config, q: &str, limit: usize, explain: bool) -> anyhow::Result<()> {
    let index = open_read_only(&config.index_dir)?;
    let req = SearchRequest {
        q: q.to_string(),
        limit: limit.clamp(1, 1000),
        // As the server does for a request that does not say.
        semantic: Some(config.search.semantic),
        ..SearchRequest::default()
    };
    let plan = SearchPlan::new(&req)?;
    let mut out = std::io::stdout().lock();
    if explain {
        writeln!(out, "plan: {}", serde_json::to_string_pretty(&plan)?)?;
        let execution = plan.execution(index.num_articles());
        writeln!(
            out,
            "a server runs it: {}",
            serde_json::to_string(&execution)?
        )?;
    }
    let resp = run_plan(&index, &config.search, &plan)?;
    writeln!(
        out,
        "{} articles match ({:.1} ms)",
        resp.total, resp.took_ms
    )?;
    writeln!(out, "{:>7}  {:<10}  {:<24}  title", "score", "date", "id")?;
    for hit in resp.hits {
        let date = hit
            .published_at
            .as_deref()
            .map_or("", |d| &d[..10.min(d.len())])
            .to_string();
        let score = hit
            .score
            .map_or_else(|| "-".to_string(), |s| format!("{s:.2}"));
        let title: String = hit.title.chars().take(80).collect();
        writeln!(out, "{score:>7}  {date:<10}  {:<24}  {title}", hit.id)?;
    }
    Ok(())
}

fn extract(file: &Path, json: bool) -> anyhow::Result<()> {
    let text = if file == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        std::fs::read_to_string(file)
            .with_context(|| format!("failed to read `{}`", file.display()))?
    };
    let (title, summary, body) = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v.is_object() => {
            let field = |k: &str| v[k].as_str().unwrap_or("").to_string();
            (field("title"), field("summary"), field("body"))
        }
        _ => {
            let trimmed = text.trim_start();
            let (first, rest) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
            (first.trim().to_string(), String::new(), rest.to_string())
        }
    };
    let entities = crate::extract::extract_entities(&title, &summary, &body);
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&entities)?)?;
    } else {
        for e in entities {
            writeln!(out, "{:<8} {}", e.entity_type, e.name)?;
        }
    }
    Ok(())
}
