mod fast_unigram;
mod fast_wordpiece;
mod metaspace_unigram;
pub mod model;
mod trie;
