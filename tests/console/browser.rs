//! Debian's chromium, headless, driven through chromium-driver (WebDriver) with fantoccini.
//! `Browser::open` answers `None` (and says why) when chromium or chromedriver is not installed,
//! so that a machine without apt skips the browser cases with a clear message.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// chromedriver as a child process; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
    _driver: Driver,
}

fn which(name: &str) -> Option<String> {
    let out = Command::new("sh").arg("-c").arg(format!("command -v {name}")).output().ok()?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!path.is_empty()).then_some(path)
}

/// The chromium and chromedriver binaries, or why the browser cases cannot run.
pub fn installed() -> Result<(String, String), String> {
    let chromium = which("chromium").or_else(|| which("chromium-browser"));
    let driver = which("chromedriver");
    match (chromium, driver) {
        (Some(c), Some(d)) => Ok((c, d)),
        _ => Err("chromium and chromium-driver are not installed (scripts/install-chromium.sh installs them \
                  with apt): the console's browser cases are SKIPPED"
            .into()),
    }
}

impl Browser {
    /// A fresh headless chromium at `width` x 900 CSS pixels (a phone's 375 is emulated as a
    /// mobile viewport), pointed at `base`.
    pub async fn open(base: &str, width: u32) -> Browser {
        let (chromium, driver) = installed().expect("checked by the caller");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child, port };
        let mut options = json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     format!("--window-size={},900", width.max(800))],
        });
        if width < 800 {
            options["mobileEmulation"] = json!({"deviceMetrics": {"width": width, "height": 800, "pixelRatio": 1.0}});
        }
        let caps: serde_json::Map<String, Value> =
            serde_json::from_value(json!({"browserName": "chrome", "goog:chromeOptions": options})).unwrap();
        let url = format!("http://127.0.0.1:{}", driver.port);
        let mut last = String::new();
        for _ in 0..200 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(caps.clone()).connect(&url).await {
                Ok(client) => return Browser { client, base: base.to_owned(), _driver: driver },
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no WebDriver session from chromedriver within 20 s: {last}");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("field {css}: {e}"));
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    pub async fn select(&self, css: &str, value: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("select {css}: {e}"));
        e.select_by_value(value).await.unwrap_or_else(|e| panic!("select {css} = {value}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("element {css}: {e}"));
        e.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let e = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("element {css}: {e}"));
        e.text().await.expect("text")
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.expect("find_all").len()
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    pub async fn js_async(&self, script: &str) -> Value {
        self.client.execute_async(script, vec![]).await.unwrap_or_else(|e| panic!("async script failed: {e}"))
    }

    pub async fn body_text(&self) -> String {
        self.js("return document.body.innerText;").await.as_str().unwrap_or_default().to_owned()
    }

    /// Signs in with `token` through the form; the page it lands on.
    pub async fn sign_in(&self, token: &str) -> String {
        self.goto("/console/sign-in").await;
        self.fill("#token", token).await;
        self.click("form.stack button[type=submit]").await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.path().await.starts_with("/console/sign-in") && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.path().await
    }

    /// A POST from this page with the session's cookie (as a forged form would send it):
    /// `fields` as a form body; the status and the answer's text.
    pub async fn post_from_page(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", k, url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
            .collect();
        let script = format!(
            "const done = arguments[arguments.length - 1];
             fetch({path}, {{method: 'POST', redirect: 'manual', credentials: 'same-origin',
                            headers: {{'content-type': 'application/x-www-form-urlencoded'}}, body: {body}}})
               .then(async r => done([r.status, await r.text()])).catch(e => done([0, String(e)]));",
            path = json!(path),
            body = json!(body.join("&")),
        );
        let v = self.js_async(&script).await;
        (v[0].as_u64().unwrap_or(0) as u16, v[1].as_str().unwrap_or_default().to_owned())
    }

    /// Waits (30 s at most) for an element matching `css` whose text contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::time::Instant::now() < deadline {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                if e.text().await.is_ok_and(|t| t.contains(text)) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {css} saying {text:?} within 30 s at {}; page: {}", self.path().await, self.body_text().await);
    }

    /// Polls `check` on the current page until it holds, 30 s at most.
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while tokio::time::Instant::now() < deadline {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("{what}: not within 30 s; page: {}", self.body_text().await);
    }

    pub async fn screenshot(&self, name: &str) {
        if std::env::var("SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/console");
        std::fs::create_dir_all(&dir).expect("docs/console");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}
