//! The search page (`GET /`) in a real headless Chromium, driven over WebDriver (chromedriver +
//! fantoccini) against a real server holding the first 300 Reuters articles.
//!
//! Chromium and chromedriver come from Debian (`scripts/install-test-deps`, run from here when
//! they are missing); the test fails, it does not skip, when they still cannot be found.
//! Screenshots of the main states are saved under `tests/artifacts/` (gitignored).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::common::{ndjson, reuters, urlencode, TestServer};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(15);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Installs chromium and chromedriver when missing; panics when that does not work.
fn ensure_browser() {
    let present = || Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if present() {
        return;
    }
    let script = manifest_dir().join("scripts/install-test-deps");
    eprintln!("page test: {CHROMIUM} or {CHROMEDRIVER} missing; running {script:?}");
    let status = Command::new("bash")
        .arg(&script)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {script:?}: {e}"));
    assert!(
        status.success() && present(),
        "the browser test needs {CHROMIUM} and {CHROMEDRIVER}; {script:?} exited with {status} \
         and they are still missing (run it as root: it apt-get installs chromium chromium-driver)"
    );
}

/// The real browser binary: Debian's /usr/bin/chromium is a shell wrapper around it.
fn chromium_binary() -> &'static str {
    if Path::new("/usr/lib/chromium/chromium").exists() {
        "/usr/lib/chromium/chromium"
    } else {
        CHROMIUM
    }
}

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium_binary(),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    // rustls has two crypto providers in this build (ring from ureq, aws-lc-rs from
    // fantoccini's hyper-rustls), so it can't pick one by itself: the WebDriver client's is
    // chosen here. An error means one was installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("rustls connector")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with headless Chromium")
}

/// Polls `f` until it gives `Some`, or panics naming `what`.
async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the page shows, read in one script.
async fn snapshot(c: &Client) -> Value {
    c.execute(
        r#"
        const $ = (s) => document.querySelector(s);
        const all = (s) => Array.from(document.querySelectorAll(s));
        return {
          url: location.pathname + location.search,
          seq: document.body.dataset.searchSeq || "",
          loading: document.body.dataset.loading || "",
          q: $('#q').value,
          total: $('#count').dataset.total === undefined ? null : Number($('#count').dataset.total),
          count: $('#count').textContent,
          hits: all('#hits li.hit[data-id]').map(li => li.dataset.id),
          chips: all('#chips li.chip').map(li => li.dataset.param + '=' + li.dataset.value),
          message: $('#message').hidden ? "" : $('#message').textContent,
          suggestions: $('#suggestions').hidden ? [] : all('#suggestions li').map(li => li.textContent),
          expanded: $('#q').getAttribute('aria-expanded'),
          activedescendant: $('#q').getAttribute('aria-activedescendant'),
          bars: all('#histogram g.bar').length,
        };
        "#,
        vec![],
    )
    .await
    .expect("execute")
}

/// Waits for the search after the one numbered `after` to have rendered.
async fn settled(c: &Client, after: &str) -> Value {
    wait_for("the search to render", || async {
        let s = snapshot(c).await;
        (s["loading"] == "false" && s["seq"].as_str() != Some(after) && s["total"].is_number())
            .then_some(s)
    })
    .await
}

async fn shot(c: &Client, name: &str) -> PathBuf {
    let dir = manifest_dir().join("tests/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("page-{name}.png"));
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(&path, png).unwrap();
    path
}

fn param(url: &str, name: &str) -> Vec<String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_a_real_browser() {
    ensure_browser();
    let server = TestServer::start().await;
    let (status, v) = server.post_ndjson(ndjson(&reuters(300))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["failed"], 0, "{v}");

    // The page and its assets are served, offline (no external URL anywhere in them), with a
    // policy that lets only this server's files load and no site frame them.
    for path in ["/", "/assets/page.js", "/assets/page.css"] {
        let r = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let csp = header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("https://"), "{path} refers to the network");
    }

    let driver = Driver::start();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    let result = drive(&c, &server).await;
    let _ = c.close().await;
    result.expect("browser session");
}

async fn drive(c: &Client, server: &TestServer) -> Result<(), fantoccini::error::CmdError> {
    // 1. Load `/`: it renders a browse search over everything.
    c.goto(&server.url("/")).await?;
    let s = settled(c, "").await;
    assert_eq!(s["total"], 300, "{s}");
    assert_eq!(s["hits"].as_array().unwrap().len(), 10, "{s}");
    assert_eq!(s["message"], "", "{s}");
    shot(c, "1-home").await;

    // 2. Suggestions as you type: asserted when the endpoint answers (it may not exist yet).
    let typed = "oil";
    let r = server
        .client
        .get(server.url(&format!("/suggest?q={typed}&limit=8")))
        .send()
        .await
        .unwrap();
    let suggest_ok = r.status() == 200;
    let suggest_has = suggest_ok
        && r.json::<Value>().await.unwrap()["suggestions"]
            .as_array()
            .is_some_and(|a| !a.is_empty());
    if !suggest_has {
        // Until the endpoint exists, the page is checked against its contract with a stub of
        // `fetch` for /suggest only (with hostile markup that must not survive).
        eprintln!("page test: /suggest not available (ok: {suggest_ok}); using a stubbed answer");
        c.execute(
            r#"
            const real = window.fetch;
            window.fetch = function (url, opts) {
              if (String(url).startsWith('/suggest')) {
                const body = {took_ms: 0.1, suggestions: [
                  {kind: 'tag', value: 'crude', highlighted: '<mark>cru</mark>de', count: 12},
                  {kind: 'entity', value: 'usa', type: 'place',
                   highlighted: '<mark>us</mark>a <img src=x onerror="window.__xss=1">', count: 40},
                  {kind: 'title', value: 'OIL PRICES', id: 'x', highlighted: '<mark>OIL</mark> PRICES', count: 1}]};
                return Promise.resolve(new Response(JSON.stringify(body),
                  {status: 200, headers: {'content-type': 'application/json'}}));
              }
              return real.apply(this, arguments);
            };
            return true;
            "#,
            vec![],
        )
        .await?;
    }
    let input = c.find(Locator::Css("#q")).await?;
    input.click().await?;
    input.send_keys(typed).await?;
    let s = wait_for("suggestions to appear", || async {
        let s = snapshot(c).await;
        (!s["suggestions"].as_array().unwrap().is_empty()).then_some(s)
    })
    .await;
    assert_eq!(s["expanded"], "true", "{s}");
    let unsafe_markup = c
        .execute(
            "return [window.__xss === undefined, \
             document.querySelectorAll('#suggestions img').length, \
             document.querySelectorAll('#suggestions mark').length];",
            vec![],
        )
        .await?;
    assert_eq!(unsafe_markup[0], true, "{unsafe_markup}");
    assert_eq!(unsafe_markup[1], 0, "{unsafe_markup}");
    assert!(unsafe_markup[2].as_u64().unwrap() > 0, "{unsafe_markup}");
    input.send_keys("\u{E015}").await?; // ArrowDown
    let s = snapshot(c).await;
    assert_eq!(s["activedescendant"], "sugg-0", "{s}");
    shot(c, "2-suggestions").await;
    input.send_keys("\u{E00C}").await?; // Escape closes the list
    let s = snapshot(c).await;
    assert!(s["suggestions"].as_array().unwrap().is_empty(), "{s}");
    assert_eq!(s["expanded"], "false", "{s}");
    assert_eq!(s["message"], "", "{s}");

    // 3. Run the query: hits and a count, the query in the URL.
    let before = snapshot(c).await["seq"].as_str().unwrap().to_string();
    input.send_keys("\u{E007}").await?; // Enter
    let s = settled(c, &before).await;
    let (_, api) = server.get(&format!("/search?q={typed}")).await;
    let total_q = api["total"].as_u64().unwrap();
    assert!(total_q > 10, "{api}");
    assert_eq!(s["total"], total_q, "{s}");
    assert_eq!(param(s["url"].as_str().unwrap(), "q"), vec![typed], "{s}");
    assert!(s["count"].as_str().unwrap().contains("results"), "{s}");
    let marks = c.find_all(Locator::Css("#hits mark")).await?;
    assert!(!marks.is_empty(), "highlighted snippets");
    shot(c, "3-results").await;

    // 4. A facet value: the count becomes the value's count, a chip appears.
    let fv = c
        .find(Locator::Css("#facets [data-facet='tags'] button.fv"))
        .await?;
    let tag = fv.attr("data-value").await?.expect("data-value");
    let tag_count: u64 = fv
        .find(Locator::Css(".count"))
        .await?
        .text()
        .await?
        .replace(',', "")
        .parse()
        .unwrap();
    assert!(tag_count < total_q, "{tag}: {tag_count} of {total_q}");
    let before = s["seq"].as_str().unwrap().to_string();
    fv.click().await?;
    let s = settled(c, &before).await;
    assert_eq!(s["total"], tag_count, "{s}");
    assert_eq!(s["chips"], json!([format!("tag={tag}")]), "{s}");
    assert_eq!(param(s["url"].as_str().unwrap(), "tag"), vec![tag.clone()]);
    let pressed = c
        .find(Locator::Css(
            "#facets [data-facet='tags'] button.fv[aria-pressed='true']",
        ))
        .await?;
    assert_eq!(pressed.attr("data-value").await?, Some(tag.clone()));
    shot(c, "4-facet").await;

    // 5. A histogram bar filters to its period.
    assert!(s["bars"].as_u64().unwrap() > 0, "{s}");
    let bar = c
        .find(Locator::Css("#histogram g.bar:not(.zero) rect.v"))
        .await?;
    let g = c.find(Locator::Css("#histogram g.bar:not(.zero)")).await?;
    let (from, to) = (
        g.attr("data-from").await?.unwrap(),
        g.attr("data-to").await?.unwrap(),
    );
    let before = s["seq"].as_str().unwrap().to_string();
    bar.click().await?;
    let s = settled(c, &before).await;
    let url = s["url"].as_str().unwrap().to_string();
    assert_eq!(param(&url, "from"), vec![from.clone()], "{s}");
    assert_eq!(param(&url, "to"), vec![to.clone()], "{s}");
    let (_, api) = server
        .get(&format!("/search?q={typed}&tag={tag}&from={from}&to={to}"))
        .await;
    assert_eq!(s["total"], api["total"], "{s}");
    assert!(s["chips"]
        .as_array()
        .unwrap()
        .contains(&json!(format!("date={from} \u{2013} {to}"))));
    let from_input = c.find(Locator::Css("#from")).await?;
    assert_eq!(from_input.prop("value").await?, Some(from.clone()));
    shot(c, "5-histogram").await;

    // 6. Related articles of the first hit, when the endpoint answers.
    let first = s["hits"][0].as_str().expect("a hit").to_string();
    let r = server
        .client
        .get(server.url(&format!("/articles/{first}/related?limit=5")))
        .send()
        .await
        .unwrap();
    let related_ok = r.status() == 200;
    let related_n = if related_ok {
        r.json::<Value>().await.unwrap()["hits"]
            .as_array()
            .map_or(0, Vec::len)
    } else {
        0
    };
    let btn = c
        .find(Locator::Css(&format!(
            "#hits li.hit[data-id='{first}'] .related-btn"
        )))
        .await?;
    btn.click().await?;
    assert_eq!(btn.attr("aria-expanded").await?.as_deref(), Some("true"));
    let panel_sel = format!("#hits li.hit[data-id='{first}'] .related");
    let text = wait_for("the related panel", || async {
        let p = c.find(Locator::Css(&panel_sel)).await.ok()?;
        let t = p.text().await.ok()?;
        (!t.contains("Loading")).then_some(t)
    })
    .await;
    if related_ok && related_n > 0 {
        let items = c
            .find_all(Locator::Css(&format!("{panel_sel} li.rel-item")))
            .await?;
        assert_eq!(items.len(), related_n, "{text}");
        assert!(text.contains("Why:"), "{text}");
    } else {
        eprintln!("page test: related answered ok={related_ok} with {related_n} hits: {text}");
    }
    shot(c, "6-related").await;

    // 7. Reload the URL: the same state comes back.
    let url = s["url"].as_str().unwrap().to_string();
    let before_total = s["total"].clone();
    c.refresh().await?;
    let s = settled(c, "").await;
    assert_eq!(s["url"], url, "{s}");
    assert_eq!(s["q"], typed, "{s}");
    assert_eq!(s["total"], before_total, "{s}");
    assert!(s["chips"]
        .as_array()
        .unwrap()
        .contains(&json!(format!("tag={tag}"))));
    let sort = c.find(Locator::Css("#sort")).await?;
    assert_eq!(sort.prop("value").await?.as_deref(), Some("relevance"));

    // 8. Back: the state before the histogram click (popstate).
    c.back().await?;
    let s = wait_for("the state before the date filter", || async {
        let s = snapshot(c).await;
        (s["loading"] == "false" && s["total"] == tag_count).then_some(s)
    })
    .await;
    assert!(param(s["url"].as_str().unwrap(), "from").is_empty(), "{s}");

    // 9. Removing the chip by its button takes the filter away.
    let before = s["seq"].as_str().unwrap().to_string();
    c.find(Locator::Css("#chips li.chip[data-param='tag'] button"))
        .await?
        .click()
        .await?;
    let s = settled(c, &before).await;
    assert_eq!(s["total"], total_q, "{s}");
    assert_eq!(s["chips"], json!([]), "{s}");

    // 10. A hit's title opens the article (in the URL too), with its related articles.
    let link = c.find(Locator::Css("#hits li.hit h3 a")).await?;
    let id = link.attr("data-id").await?.expect("data-id");
    link.click().await?;
    let title = wait_for("the article view", || async {
        let h = c.find(Locator::Css("#article-view h2")).await.ok()?;
        h.text().await.ok().filter(|t| !t.is_empty())
    })
    .await;
    let (_, article) = server.get(&format!("/articles/{id}")).await;
    assert_eq!(title, article["title"].as_str().unwrap());
    let url = snapshot(c).await["url"].as_str().unwrap().to_string();
    assert_eq!(param(&url, "article"), vec![id.clone()]);
    shot(c, "7-article").await;
    c.find(Locator::Css("#article-view button.close"))
        .await?
        .click()
        .await?;

    // 11. Hierarchical tags: the parent is listed, its children behind a toggle.
    for (id, tag) in [("page-asia", "world/asia"), ("page-europe", "world/europe")] {
        let a = json!({"id": id, "title": format!("Zanzibarite trade in {tag}"),
                       "body": "Zanzibarite exports rose.", "tags": [tag],
                       "published_at": "1987-03-02"});
        let (status, v) = server.put(&format!("/articles/{id}"), &a).await;
        assert_eq!(status, 200, "{v}");
    }
    c.goto(&server.url("/?q=zanzibarite")).await?;
    let s = settled(c, "").await;
    assert_eq!(s["total"], 2, "{s}");
    let twist = c
        .find(Locator::Css("#facets [data-facet='tags'] button.twist"))
        .await?;
    assert_eq!(twist.attr("aria-expanded").await?.as_deref(), Some("false"));
    let child_sel = "#facets [data-facet='tags'] button.fv[data-value='world/asia']";
    assert!(
        !c.find(Locator::Css(child_sel))
            .await?
            .is_displayed()
            .await?
    );
    twist.click().await?;
    let child = c.find(Locator::Css(child_sel)).await?;
    assert!(child.is_displayed().await?);
    shot(c, "8-tag-tree").await;
    child.click().await?;
    let s = settled(c, s["seq"].as_str().unwrap()).await;
    assert_eq!(s["total"], 1, "{s}");
    assert_eq!(s["chips"], json!(["tag=world/asia"]), "{s}");

    // 12. Chinese and Russian articles: found by their words, marked, faceted by language.
    let (status, v) = server
        .post_json(
            "/articles",
            &json!([
                {"id": "page-zh", "title": "中国外交部回应俄朝防务协定",
                 "body": "中国外交部发言人在记者会上表示，中方注意到俄罗斯与朝鲜签署防务协定的报道。",
                 "published_at": "1987-03-02"},
                {"id": "page-ru", "title": "Президенту представили новый доклад",
                 "body": "Доклад президенту подготовило правительство. В докладе говорится о мерах поддержки экономики.",
                 "published_at": "1987-03-02"}
            ]),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    for (q, id, lang, marked) in [
        ("外交部", "page-zh", "zh", "外交部"),
        ("президент", "page-ru", "ru", "Президенту"),
    ] {
        c.goto(&server.url(&format!("/?q={}", urlencode(q))))
            .await?;
        let s = settled(c, "").await;
        assert_eq!(s["hits"], json!([id]), "{q}: {s}");
        let hit = c
            .find(Locator::Css(&format!("#hits li.hit[data-id='{id}']")))
            .await?;
        assert_eq!(hit.attr("lang").await?.as_deref(), Some(lang));
        let mark = hit.find(Locator::Css("h3 mark")).await?.text().await?;
        assert_eq!(mark, marked, "{q}");
        let langs = c
            .find_all(Locator::Css("#facets [data-facet='languages'] button.fv"))
            .await?;
        assert_eq!(langs.len(), 1, "{q}");
        assert_eq!(langs[0].attr("data-value").await?.as_deref(), Some(lang));
        shot(c, &format!("9-{lang}")).await;
    }

    // 13. A key in the address is not taken: a link could plant one.
    c.goto(&server.url("/?key=planted-by-a-link&q=oil")).await?;
    settled(c, "").await;
    let stored = c
        .execute(
            "return [document.getElementById('key').value, Object.keys(localStorage).map(k => localStorage.getItem(k))];",
            vec![],
        )
        .await?;
    assert!(
        !stored.to_string().contains("planted-by-a-link"),
        "{stored}"
    );

    // 14. Phone-sized: facets below results.
    c.set_window_size(400, 900).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let layout = c
        .execute(
            "const r = document.getElementById('results').getBoundingClientRect();
             const f = document.getElementById('facets').getBoundingClientRect();
             return {resultsBottom: r.bottom, facetsTop: f.top,
                     overflow: document.documentElement.scrollWidth > window.innerWidth};",
            vec![],
        )
        .await?;
    assert!(
        layout["facetsTop"].as_f64() >= layout["resultsBottom"].as_f64(),
        "{layout}"
    );
    assert_eq!(layout["overflow"], false, "{layout}");
    shot(c, "10-phone").await;
    Ok(())
}
