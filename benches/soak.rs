//! Soak: the real server in-process on 127.0.0.1:0, 8 searching and 2 writing clients for
//! `NEWSINDEX_SOAK_SECS` seconds (default 600). Reports errors (must be 0), acknowledged
//! writes verified afterwards (none may be lost) and resident memory every 10 s; exits 1 on
//! any error or lost write.
//!
//! ```sh
//! NEWSINDEX_SOAK_SECS=600 cargo bench --bench soak
//! # on a large index (it writes into it; use a copy):
//! NEWSINDEX_SOAK_INDEX=/tmp/idx1m-soak cargo bench --bench soak
//! ```

#[path = "soak/driver.rs"]
mod driver;

use std::time::Duration;

fn main() {
    let secs: u64 = std::env::var("NEWSINDEX_SOAK_SECS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(600);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!(
        "soak: {} searching and {} writing clients for {secs} s",
        driver::SEARCHERS,
        driver::WRITERS
    );
    let r = rt.block_on(driver::soak(
        Duration::from_secs(secs),
        Duration::from_secs(10),
        true,
        std::env::var_os("NEWSINDEX_SOAK_INDEX").map(Into::into),
    ));
    let first = r.rss_kib.first().map_or(0, |s| s.1);
    let last = r.rss_kib.last().map_or(0, |s| s.1);
    let peak = r.rss_kib.iter().map(|s| s.1).max().unwrap_or(0);
    // Warm-up: the first third of the run.
    let warm = r.rss_kib[r.rss_kib.len() / 3];
    let anon_last = r.rss_kib.last().map_or(0, |s| s.2);
    let anon_peak = r.rss_kib.iter().map(|s| s.2).max().unwrap_or(0);
    println!("soak {secs} s");
    println!(
        "  searches  {} ({:.0}/s), p50 {:.1} ms, p99 {:.1} ms",
        r.searches,
        r.searches as f64 / secs as f64,
        r.search_ms.0,
        r.search_ms.1
    );
    println!(
        "  writes    {} acknowledged ({:.0}/s), {} ids verified, {} lost",
        r.writes,
        r.writes as f64 / secs as f64,
        r.verified,
        r.lost.len()
    );
    println!("  errors    {}", r.error_count);
    println!("  rss       start {first} KiB, end {last} KiB, peak {peak} KiB");
    println!(
        "  after warm-up ({} s): rss {} -> {last} KiB, anon {} -> {anon_last} KiB (peak {anon_peak})",
        warm.0, warm.1, warm.2
    );
    for e in r.errors.iter().chain(&r.lost).take(20) {
        println!("    {e}");
    }
    if r.error_count > 0 || !r.lost.is_empty() {
        std::process::exit(1);
    }
}
