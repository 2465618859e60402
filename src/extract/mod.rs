//! Entity extraction (placeholder until the extractor lands): finds no entities.

use crate::article::Entity;

/// Entities found in an article's text.
pub fn extract_entities(_title: &str, _summary: &str, _body: &str) -> Vec<Entity> {
    Vec::new()
}
