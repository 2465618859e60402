//! Random samples for the quality tools, shared by the examples that `#[path]` this file: a
//! seeded generator, draws without replacement, and the mean and spread over seeds. Written
//! here rather than taken from a crate so that a seed gives the same sample on every machine
//! and version.

#![allow(dead_code)] // each tool uses a different subset

use anyhow::{ensure, Context};

/// `--seeds 1,2,3`.
pub fn parse_seeds(list: &str) -> anyhow::Result<Vec<u64>> {
    let seeds: Vec<u64> = list
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--seeds: not a list of integers: {list:?}"))?;
    ensure!(!seeds.is_empty(), "--seeds needs at least one seed");
    Ok(seeds)
}

/// Seeds as written on the command line.
pub fn join(values: &[u64]) -> String {
    values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// splitmix64: enough randomness for sampling, and no dependency.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; its bias is far below the sampling noise).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// `n` positions of `0..len` drawn without replacement (a partial Fisher–Yates shuffle).
pub fn draw(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64(seed);
    let mut order: Vec<usize> = (0..len).collect();
    let n = n.min(len);
    for i in 0..n {
        let j = i + rng.below(len - i);
        order.swap(i, j);
    }
    order.truncate(n);
    order
}

/// Mean, min and max over seeds.
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, min, max)
}
