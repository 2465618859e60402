//! The tantivy schema of an article and the analyzers it needs.
//!
//! Text fields use `news`: each article's text analysed by its language's rules
//! ([`crate::analysis`]; English: words, lowercased, folded to ASCII so that `Pyŏngyang` matches
//! `pyongyang`, and stemmed so that `pacts` matches `pact`), with positions for phrases. The
//! text reaches the field behind a marker naming its language ([`crate::analysis::tagged`]). Keyword
//! fields (`author`, `tag`, `entity`, …) are indexed lowercased for case-insensitive filters and
//! `field:value` queries, and kept as fast columns in their original case for facet counts. The
//! whole article is stored once, so that GET returns exactly what was stored: as JSON without
//! its body in the segment's hit store ([`super::hits`]), read in place by a page of hits, and
//! the body apart in tantivy's document store.

use tantivy::schema::{
    BytesOptions, DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema,
    TextFieldIndexing, TextOptions, STORED,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer, TokenizerManager};
use tantivy::Index;

use crate::analysis::{self, Dispatch, Lang, Mode};

/// Analyzer of the text fields.
pub const TEXT_ANALYZER: &str = "news";
/// Analyzer of the keyword fields: the whole value, lowercased.
pub const KEYWORD_ANALYZER: &str = "keyword_lower";
/// Analyzer of the unstemmed word fields (typo tolerance, suggestions): words, lowercased,
/// folded where the language folds, not stemmed, so edit distances are taken between real
/// spellings.
pub const WORDS_ANALYZER: &str = "news_words";

/// Separator of type and name in the `entity_typed` column (`place\u{1f}China`).
pub const TYPE_SEPARATOR: char = '\u{1f}';

/// Handles of every field of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Exact unique id (indexed raw, fast).
    pub id: Field,
    /// Headline text.
    pub title: Field,
    /// Standfirst text.
    pub summary: Field,
    /// Full text.
    pub body: Field,
    /// Every word of title, summary and body, unstemmed: what typo-tolerant matching reads.
    pub words: Field,
    /// The title's words, unstemmed: what title suggestions read.
    pub title_words: Field,
    /// Authors (keyword).
    pub author: Field,
    /// Tags, every level of the hierarchy (`world`, `world/asia`).
    pub tag: Field,
    /// Entity names.
    pub entity: Field,
    /// Entity types.
    pub entity_type: Field,
    /// `type\u{1f}name`, fast only, for per-type facets.
    pub entity_typed: Field,
    /// Language code.
    pub language: Field,
    /// Publisher or wire.
    pub source: Field,
    /// Publication time (indexed for ranges, fast for sorting and histograms).
    pub published_at: Field,
    /// Page views.
    pub views: Field,
    /// Hash of the normalized title and body: equal for wire copies.
    pub copy_key: Field,
    /// SimHash of the words, for near-duplicates (see [`super::fingerprint`]).
    pub simhash: Field,
    /// The article's meaning as a vector ([`crate::embed::article_vector`]), for related
    /// articles and searches by meaning. Neither indexed nor fast nor stored: the vector store
    /// ([`super::vector_store`]) takes it from the document and keeps it by cell.
    pub vector: Field,
    /// The cell of the vector space the vector is filed under ([`crate::embed::cells`]),
    /// computed with the document (not on tantivy's indexing thread); the vector store reads
    /// it from the document. Absent for a zero vector.
    pub vector_cell: Field,
    /// The article as JSON, without its body: all a hit shows. Neither indexed nor in the
    /// document store: the hit store ([`super::hits`]) takes it from the document and keeps it
    /// uncompressed, read in place ([`super::document::head_from_document`]). (Indexes built
    /// before the hit store keep it in the document store, and those built before
    /// `stored_body` the body in it too; [`super::document::stored_article`] reads them all.)
    pub stored: Field,
    /// The article's body as it was sent, kept apart from `stored` so that a hit neither
    /// parses nor copies it.
    pub stored_body: Field,
}

fn keyword() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD_ANALYZER)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        )
        .set_fast("raw")
}

fn text() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// Builds the schema and its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let id = b.add_text_field(
        "id",
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::Basic)
                    .set_fieldnorms(false),
            )
            .set_fast("raw"),
    );
    let title = b.add_text_field("title", text());
    let summary = b.add_text_field("summary", text());
    let body = b.add_text_field("body", text());
    let words_options = |option| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(WORDS_ANALYZER)
                .set_index_option(option)
                .set_fieldnorms(false),
        )
    };
    let words = b.add_text_field("words", words_options(IndexRecordOption::Basic));
    let title_words = b.add_text_field("title_words", words_options(IndexRecordOption::Basic));
    let author = b.add_text_field("author", keyword());
    let tag = b.add_text_field("tag", keyword());
    let entity = b.add_text_field("entity", keyword());
    let entity_type = b.add_text_field(
        "entity_type",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD_ANALYZER)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        ),
    );
    let entity_typed = b.add_text_field("entity_typed", TextOptions::default().set_fast("raw"));
    let language = b.add_text_field("language", keyword());
    let source = b.add_text_field("source", keyword());
    let published_at = b.add_date_field(
        "published_at",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_precision(DateTimePrecision::Seconds),
    );
    let views = b.add_u64_field("views", NumericOptions::default().set_fast());
    let copy_key = b.add_u64_field(
        "copy_key",
        NumericOptions::default().set_fast().set_indexed(),
    );
    let simhash = b.add_u64_field("simhash", NumericOptions::default().set_fast());
    let vector = b.add_bytes_field("vector", BytesOptions::default());
    let vector_cell = b.add_u64_field("vector_cell", NumericOptions::default());
    let stored = b.add_text_field("stored", TextOptions::default());
    let stored_body = b.add_text_field("stored_body", STORED);
    let fields = Fields {
        id,
        title,
        summary,
        body,
        words,
        title_words,
        author,
        tag,
        entity,
        entity_type,
        entity_typed,
        language,
        source,
        published_at,
        views,
        copy_key,
        simhash,
        vector,
        vector_cell,
        stored,
        stored_body,
    };
    (b.build(), fields)
}

/// The text analyzer of `lang`'s documents; also used by features that tokenize outside the
/// index (snippets, related drafts).
pub fn text_analyzer(lang: Lang) -> TextAnalyzer {
    analysis::analyzer(lang, Mode::Index)
}

/// The unstemmed words analyzer of `lang`.
pub fn words_analyzer(lang: Lang) -> TextAnalyzer {
    analysis::analyzer(lang, Mode::Words)
}

fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build()
}

/// Registers our analyzers; tantivy does not persist them, so every open must call this.
pub fn register_analyzers(index: &Index) {
    index.tokenizers().register(
        TEXT_ANALYZER,
        TextAnalyzer::from(Dispatch::new(Mode::Index)),
    );
    index.tokenizers().register(
        WORDS_ANALYZER,
        TextAnalyzer::from(Dispatch::new(Mode::Words)),
    );
    index
        .tokenizers()
        .register(KEYWORD_ANALYZER, keyword_analyzer());
}

/// The analyzers a query in `lang` is parsed with: the text fields' analysis of `lang` for
/// queries (a CJK run is its character pairs, a phrase), its word lists' analysis, keywords.
pub fn query_tokenizers(lang: Lang) -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(TEXT_ANALYZER, analysis::analyzer(lang, Mode::Query));
    manager.register(WORDS_ANALYZER, analysis::analyzer(lang, Mode::Words));
    manager.register(KEYWORD_ANALYZER, keyword_analyzer());
    manager
}
