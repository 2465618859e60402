//! What newsindex's segment plugins (the hit store, [`super::hits`], and the vector store,
//! [`super::vector_store`]) share: each keeps one file per segment in document order, so
//! neither can follow a sorted index, and each reads its file as the segment reader opened it.

use tantivy::directory::OwnedBytes;
use tantivy::indexer::doc_id_mapping::{DocIdMapping, MappingType, SegmentDocIdMapping};
use tantivy::SegmentReader;

/// An error unless a merge stacks its source segments' live documents in order (newsindex
/// never sorts an index).
pub(super) fn stacked_merge(mapping: &SegmentDocIdMapping, store: &str) -> tantivy::Result<()> {
    if mapping.mapping_type() == MappingType::Shuffled {
        return Err(tantivy::TantivyError::InvalidArgument(format!(
            "the {store} cannot merge a sorted index"
        )));
    }
    Ok(())
}

/// An error when a new segment's documents are reordered (a sorted index).
pub(super) fn in_order(mapping: Option<&DocIdMapping>, store: &str) -> tantivy::Result<()> {
    if mapping.is_some() {
        return Err(tantivy::TantivyError::InvalidArgument(format!(
            "the {store} cannot write a sorted index"
        )));
    }
    Ok(())
}

/// The plugin file of `segment` with `extension`, from the file the reader opened with the
/// segment (the vendored tantivy's `SegmentReader::custom_file`): opened now, it could already
/// be deleted by a merge. An error when the segment has none.
pub(super) fn read(
    segment: &SegmentReader,
    extension: &str,
    store: &str,
) -> tantivy::Result<OwnedBytes> {
    segment
        .custom_file(extension)
        .ok_or_else(|| tantivy::TantivyError::InternalError(format!("the segment has no {store}")))?
        .read_bytes()
        .map_err(Into::into)
}
