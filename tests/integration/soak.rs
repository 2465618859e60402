//! A short soak (`NEWSINDEX_SOAK_TEST_SECS`, default 60): 8 searching and 2 writing clients
//! against the real server; no errors, no lost writes. `benches/soak.rs` is the long one.

#[path = "../../benches/soak/driver.rs"]
mod driver;

use std::time::Duration;

#[test]
fn soak_has_no_errors_and_loses_no_writes() {
    let secs: u64 = std::env::var("NEWSINDEX_SOAK_TEST_SECS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(60);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let r = rt.block_on(driver::soak(
        Duration::from_secs(secs),
        Duration::from_secs(10),
        false,
        None,
    ));
    eprintln!(
        "soak {secs} s: {} searches (p50 {:.1} ms, p99 {:.1} ms), {} writes, {} ids verified, \
         rss KiB over time {:?}",
        r.searches, r.search_ms.0, r.search_ms.1, r.writes, r.verified, r.rss_kib
    );
    assert_eq!(r.error_count, 0, "errors: {:#?}", r.errors);
    assert!(r.lost.is_empty(), "lost writes: {:#?}", r.lost);
    assert!(r.searches > 0 && r.writes > 0, "{r:?}");
}
