//! Request metrics for `GET /metrics`: a count and a latency histogram per route, method and
//! status. The route is the matched pattern (`/articles/{id}`), never the raw URI, so the
//! number of series stays bounded whatever clients send; requests that match no route are
//! counted under `route="unmatched"`.
//!
//! The registry is process-wide (one server per process); [`render`] writes it in the
//! Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Upper bounds of the latency buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0,
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    route: String,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Default)]
struct Series {
    /// Non-cumulative counts per bucket; the last slot is `+Inf`.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    count: u64,
    sum: f64,
}

/// Requests whose handler panicked (answered with a JSON 500 by [`super::catch_panics`]).
static PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts a panic caught in a handler.
pub fn panic_caught() {
    PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Panics caught since the process started.
pub fn panics() -> u64 {
    PANICS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Searches stopped at their deadline (answered 503).
static DEADLINE_STOPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts a search stopped at its deadline.
pub fn search_stopped_at_deadline() {
    DEADLINE_STOPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Appends the bounds on work in flight: permits in use, their number, and the requests
/// refused (for connections: accepts held back) for want of one; and the searches stopped at
/// their deadline.
pub fn render_bounds(out: &mut String, bounds: &[&super::state::Bound]) {
    out.push_str("# HELP newsindex_limit_in_use Permits of each concurrency limit in use.\n# TYPE newsindex_limit_in_use gauge\n");
    for b in bounds {
        let _ = writeln!(
            out,
            "newsindex_limit_in_use{{limit=\"{}\"}} {}",
            b.name,
            b.in_use()
        );
    }
    out.push_str("# HELP newsindex_limit_max Permits of each concurrency limit.\n# TYPE newsindex_limit_max gauge\n");
    for b in bounds {
        let _ = writeln!(out, "newsindex_limit_max{{limit=\"{}\"}} {}", b.name, b.max);
    }
    out.push_str("# HELP newsindex_limit_rejected_total Requests answered 503 because a limit was reached (connections: accepts held back until one closed).\n# TYPE newsindex_limit_rejected_total counter\n");
    for b in bounds {
        let _ = writeln!(
            out,
            "newsindex_limit_rejected_total{{limit=\"{}\"}} {}",
            b.name,
            b.rejected()
        );
    }
    let _ = writeln!(
        out,
        "# HELP newsindex_search_deadline_stops_total Searches stopped at their deadline (`limits.request_timeout_secs`) and answered 503.\n# TYPE newsindex_search_deadline_stops_total counter\nnewsindex_search_deadline_stops_total {}",
        DEADLINE_STOPS.load(std::sync::atomic::Ordering::Relaxed)
    );
}

fn registry() -> &'static Mutex<BTreeMap<Key, Series>> {
    static REGISTRY: OnceLock<Mutex<BTreeMap<Key, Series>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The method as a label, from a fixed set (a client may send any token as a method).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Records one request.
pub fn observe(route: &str, method: &Method, status: u16, seconds: f64) {
    let key = Key {
        route: route.to_string(),
        method: method_label(method),
        status,
    };
    let slot = LATENCY_BUCKETS
        .iter()
        .position(|&b| seconds <= b)
        .unwrap_or(LATENCY_BUCKETS.len());
    let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    let s = reg.entry(key).or_default();
    s.buckets[slot] += 1;
    s.count += 1;
    s.sum += seconds;
}

/// The middleware: times the request and records it under its matched route.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_string();
    let method = req.method().clone();
    let started = Instant::now();
    let resp = next.run(req).await;
    observe(
        &route,
        &method,
        resp.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    resp
}

/// Escapes a label value for the text format.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Appends the request metrics in the Prometheus text format.
pub fn render(out: &mut String) {
    let _ = writeln!(
        out,
        "# HELP newsindex_panics_total Requests whose handler panicked (answered 500).\n# TYPE newsindex_panics_total counter\nnewsindex_panics_total {}",
        panics()
    );
    let reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    out.push_str(
        "# HELP newsindex_http_requests_total HTTP requests by route, method and status.\n",
    );
    out.push_str("# TYPE newsindex_http_requests_total counter\n");
    for (k, s) in reg.iter() {
        let _ = writeln!(
            out,
            "newsindex_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}",
            label(&k.route),
            k.method,
            k.status,
            s.count
        );
    }
    out.push_str(
        "# HELP newsindex_http_request_duration_seconds HTTP request latency by route, method and status.\n",
    );
    out.push_str("# TYPE newsindex_http_request_duration_seconds histogram\n");
    for (k, s) in reg.iter() {
        let labels = format!(
            "route=\"{}\",method=\"{}\",status=\"{}\"",
            label(&k.route),
            k.method,
            k.status
        );
        let mut cumulative = 0;
        for (i, b) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += s.buckets[i];
            let _ = writeln!(
                out,
                "newsindex_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "newsindex_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            s.count
        );
        let _ = writeln!(
            out,
            "newsindex_http_request_duration_seconds_sum{{{labels}}} {}",
            s.sum
        );
        let _ = writeln!(
            out,
            "newsindex_http_request_duration_seconds_count{{{labels}}} {}",
            s.count
        );
    }
}

/// Resident memory of this process, in bytes (Linux; `None` elsewhere).
pub fn resident_bytes() -> Option<u64> {
    memory_kib(&["VmRSS"]).pop().flatten().map(|kb| kb * 1024)
}

/// Memory figures of this process from `/proc/self/status`, in KiB, in the order asked
/// (`VmRSS`, `VmHWM`, `RssAnon`, …); `None` for a field it lacks, all `None` off Linux.
pub fn memory_kib(fields: &[&str]) -> Vec<Option<u64>> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    fields
        .iter()
        .map(|name| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_fields_are_read_in_the_order_asked() {
        let [rss, missing, hwm] = memory_kib(&["VmRSS", "NoSuchField", "VmHWM"])[..] else {
            panic!("three answers");
        };
        assert!(rss.is_some_and(|kb| kb > 0));
        assert_eq!(missing, None);
        assert!(hwm >= rss);
        assert!(resident_bytes().is_some_and(|b| b > 0));
    }

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        observe("/t/{id}\"x", &Method::GET, 200, 0.003);
        observe("/t/{id}\"x", &Method::GET, 200, 100.0);
        let mut out = String::new();
        render(&mut out);
        let labels = r#"route="/t/{id}\"x",method="GET",status="200""#;
        assert!(out.contains(&format!(
            "newsindex_http_request_duration_seconds_bucket{{{labels},le=\"0.005\"}} 1"
        )));
        assert!(out.contains(&format!(
            "newsindex_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 2"
        )));
        assert!(out.contains(&format!("newsindex_http_requests_total{{{labels}}} 2")));
    }
}

#[cfg(test)]
mod panic_tests {
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_a_json_500_and_is_counted() {
        let app: axum::Router = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("boom");
                    }
                    "unreachable"
                }),
            )
            .layer(crate::http::catch_panics());
        let before = crate::http::metrics::panics();
        let request = axum::http::Request::builder()
            .uri("/boom")
            .body(axum::body::Body::empty())
            .expect("request");
        let response = app
            .oneshot(request)
            .await
            .expect("a response, not a dropped connection");
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 10_000)
            .await
            .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(v["error"]["code"], "internal", "{v}");
        assert!(crate::http::metrics::panics() > before);
        let mut text = String::new();
        crate::http::metrics::render(&mut text);
        assert!(text.contains("newsindex_panics_total "), "{text}");
    }
}
