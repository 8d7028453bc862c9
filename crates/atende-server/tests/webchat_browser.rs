//! The web chat in a real browser: Debian's headless Chromium, driven through the Chrome
//! DevTools Protocol, talks to the demo bot like a person would — types, presses Enter,
//! clicks the quick reply — on the standalone page (`/chat`) and through the widget
//! embedded in another site's page.
//!
//! Without Chromium (`/usr/bin/chromium` or `chromium` on `PATH`) each test prints
//! `SKIPPED browser test: chromium not installed` and passes, unless
//! `ATENDE_REQUIRE_BROWSER` is set (CI), when it fails. Screenshots are written to
//! `target/tmp/webchat*.png`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use common::WEBCHAT;

/// Longest wait for anything the page or the bot should do.
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_page_talks_to_the_bot_over_the_websocket() {
    let Some(exe) = chromium() else { return };
    let s = common::start(&atende_testkit::sqlite_url()).await;
    let browser = Browser::launch(&exe, 480, 800).await;
    let mut page = browser.page().await;
    page.call("Network.enable", json!({})).await;
    page.open(&format!("{}/chat", s.url)).await;
    // the visitor waits for the header to say "online" before typing
    page.wait_for("the status to read online", None, STATUS_ONLINE)
        .await;

    let top = Frame::TOP;
    page.click(top, "document.getElementById('text')").await;
    page.call("Input.insertText", json!({"text": "oi"})).await;
    page.press_enter().await;
    page.wait_for("the greeting", None, &bubble("out", "Sou a Cris"))
        .await;
    assert_eq!(
        page.eval(None, "document.getElementById('text').value")
            .await,
        "",
        "the input is cleared after sending"
    );
    let replies = page
        .eval(
            None,
            "[...document.querySelectorAll('.replies button')].map(b => b.textContent)",
        )
        .await;
    assert_eq!(replies, json!(["1 - Segunda via", "2 - Atendente"]));

    page.click(top, &reply_button("1 - Segunda via")).await;
    page.wait_for("the CPF question", None, &bubble("out", "informe seu CPF"))
        .await;
    assert_eq!(
        page.eval(None, "document.querySelectorAll('.replies').length")
            .await,
        0,
        "the quick replies go away once the conversation moves on"
    );

    page.click(top, "document.getElementById('text')").await;
    page.call("Input.insertText", json!({"text": "529.982.247-25"}))
        .await;
    page.click(top, "document.getElementById('send')").await;
    page.wait_for("the boleto", None, &bubble("out", "Encontrei seu boleto"))
        .await;
    page.screenshot("webchat.png").await;

    // what the page shows is exactly the conversation the server stored, once each
    let shown = page
        .eval(
            None,
            "[...document.querySelectorAll('#log .msg')]\
             .map(m => [m.classList.contains('in') ? 'in' : 'out', m.textContent])",
        )
        .await;
    let visitor = page
        .eval(
            None,
            &format!("localStorage.getItem('atende-visitor-{WEBCHAT}')"),
        )
        .await;
    let stored = s.chat_log(visitor.as_str().unwrap()).await;
    assert_eq!(shown, json!(stored));
    let sent: Vec<&str> = stored
        .iter()
        .filter(|(d, _)| d == "in")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(sent, ["oi", "1 - Segunda via", "529.982.247-25"]);

    // and it all went over the WebSocket: no polling fallback
    assert_eq!(
        page.eval(None, "document.getElementById('status').textContent")
            .await,
        "online"
    );
    let sockets = page.events("Network.webSocketCreated");
    assert_eq!(sockets.len(), 1, "{sockets:?}");
    assert!(
        sockets[0]["url"]
            .as_str()
            .unwrap()
            .contains(&format!("/chat/ws?channel={WEBCHAT}&visitor=")),
        "{sockets:?}"
    );
    let frames: Vec<String> = page
        .events("Network.webSocketFrameSent")
        .iter()
        .map(|e| {
            let payload: Value =
                serde_json::from_str(e["response"]["payloadData"].as_str().unwrap()).unwrap();
            payload["text"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(frames, sent);
    let fallback: Vec<String> = page
        .events("Network.requestWillBeSent")
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap_or_default().to_string())
        .filter(|u| u.contains("/chat/api/"))
        .collect();
    assert!(fallback.is_empty(), "polling fallback used: {fallback:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_opens_the_chat_on_another_site() {
    let Some(exe) = chromium() else { return };
    let s = common::start(&atende_testkit::sqlite_url()).await;
    // the customer's own site, on another origin
    let host_page = format!(
        "<!doctype html><html lang=pt-BR><meta charset=utf-8><title>Loja Exemplo</title>\
         <body style=\"font-family:sans-serif;background:#fafafa\"><h1>Loja Exemplo</h1>\
         <p>Produtos, preços e ofertas.</p>\
         <script src=\"{}/chat/widget.js\" data-channel=\"{WEBCHAT}\"></script></body></html>",
        s.url
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/", get(move || async move { Html(host_page) }));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let browser = Browser::launch(&exe, 1024, 768).await;
    let mut page = browser.page().await;
    page.open(&format!("{site}/")).await;
    let button = "document.querySelector('button[aria-label=\"Abrir chat\"]')";
    page.wait_for(
        "the floating button",
        None,
        &format!("{button} && {button}.getBoundingClientRect().width > 0"),
    )
    .await;
    assert_eq!(
        page.eval(
            None,
            "getComputedStyle(document.querySelector('iframe')).display"
        )
        .await,
        "none",
        "the chat stays closed until the visitor asks"
    );

    page.click(Frame::TOP, button).await;
    page.wait_for(
        "the chat frame to show",
        None,
        "getComputedStyle(document.querySelector('iframe')).display === 'block'",
    )
    .await;
    let src = page
        .eval(None, "document.querySelector('iframe').src")
        .await;
    assert_eq!(
        src,
        format!("{}/chat?channel={WEBCHAT}&embed=1", s.url),
        "the frame loads the chat from the widget script's origin"
    );
    // DevTools evaluates in the frame's own document…
    let chat = page.child_frame("/chat?channel=").await;
    page.wait_for(
        "the chat inside the frame to be online",
        Some(&chat),
        &format!("document.title.endsWith('· Atende') && {STATUS_ONLINE}"),
    )
    .await;
    // …which is cross-origin, as on a real customer's site: the host page cannot look
    // inside (checked once the chat has loaded: the first about:blank is same-origin)
    assert_eq!(
        page.eval(
            None,
            "document.querySelector('iframe').contentDocument === null"
        )
        .await,
        true
    );
    let frame = Frame {
        offset: "document.querySelector('iframe')",
        context: Some(&chat),
    };
    page.click(frame, "document.getElementById('text')").await;
    page.call("Input.insertText", json!({"text": "oi"})).await;
    page.press_enter().await;
    page.wait_for(
        "the greeting inside the widget",
        Some(&chat),
        &bubble("out", "Sou a Cris"),
    )
    .await;
    page.screenshot("webchat-widget.png").await;
}

const STATUS_ONLINE: &str = "document.getElementById('status')?.textContent === 'online'";

/// JS: is there a `.msg.<dir>` bubble containing `text`?
fn bubble(dir: &str, text: &str) -> String {
    format!(
        "[...document.querySelectorAll('.msg.{dir}')].some(m => m.textContent.includes({}))",
        json!(text)
    )
}

/// JS: the quick-reply button labelled `label`.
fn reply_button(label: &str) -> String {
    format!(
        "[...document.querySelectorAll('.replies button')].find(b => b.textContent === {})",
        json!(label)
    )
}

fn chromium() -> Option<PathBuf> {
    let fixed = Path::new("/usr/bin/chromium");
    let found = if fixed.is_file() {
        Some(fixed.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("chromium"))
                .find(|p| p.is_file())
        })
    };
    if found.is_none() {
        assert!(
            std::env::var_os("ATENDE_REQUIRE_BROWSER").is_none(),
            "ATENDE_REQUIRE_BROWSER is set but chromium is not installed"
        );
        println!("SKIPPED browser test: chromium not installed");
    }
    found
}

/// A headless Chromium with a fresh profile. Dropping it (also when a test fails) kills
/// the browser with all its helper processes and removes the profile.
struct Browser {
    child: Child,
    dir: PathBuf,
    port: u16,
    size: (u32, u32),
}

impl Browser {
    async fn launch(exe: &Path, width: u32, height: u32) -> Browser {
        let dir =
            std::env::temp_dir().join(format!("atende-chromium-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = std::fs::File::create(dir.join("chromium.log")).unwrap();
        let child = {
            use std::os::unix::process::CommandExt;
            Command::new(exe)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    "--remote-debugging-port=0",
                ])
                .arg(format!("--window-size={width},{height}"))
                .arg(format!("--user-data-dir={}", dir.display()))
                .arg("about:blank")
                // its singleton socket and shared memory files go with the profile
                .env("TMPDIR", &dir)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                // its own process group, so that Drop can end the helpers too
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let mut browser = Browser {
            child,
            dir,
            port: 0,
            size: (width, height),
        };
        // the browser writes its port once DevTools listens
        let active = browser.dir.join("DevToolsActivePort");
        let started = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                if let Ok(text) = std::fs::read_to_string(&active) {
                    if let Some(Ok(port)) = text.lines().next().map(str::parse) {
                        return port;
                    }
                }
                if let Ok(Some(status)) = browser.child.try_wait() {
                    panic!("chromium exited ({status}):\n{}", browser.log());
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await;
        browser.port = started
            .unwrap_or_else(|_| panic!("chromium did not start DevTools:\n{}", browser.log()));
        browser
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("chromium.log")).unwrap_or_default()
    }

    /// The first tab, over its own DevTools socket.
    async fn page(&self) -> Cdp {
        let http = reqwest::Client::new();
        let list = format!("http://127.0.0.1:{}/json/list", self.port);
        let url = tokio::time::timeout(WAIT, async {
            loop {
                if let Ok(r) = http.get(&list).send().await {
                    let text = r.text().await.unwrap_or_default();
                    let targets: Value = serde_json::from_str(&text).unwrap_or_default();
                    let page = targets.as_array().and_then(|all| {
                        all.iter()
                            .find(|t| t["type"] == "page")
                            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
                    });
                    if let Some(url) = page {
                        return url.to_string();
                    }
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await
        .expect("no page target in /json/list");
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("DevTools socket");
        let mut cdp = Cdp {
            ws,
            next_id: 0,
            events: Vec::new(),
        };
        // the window size is only a hint in headless mode: pin the viewport
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": self.size.0, "height": self.size.1,
                   "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        cdp
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SIGTERM first: a clean shutdown takes the browser about 0.3 s
        let pid = self.child.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(Stdio::null())
            .status();
        for _ in 0..50 {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(POLL);
        }
        // then whatever is left of the group: browser, zygotes, GPU and renderers
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::fs::remove_dir_all(&self.dir).is_err() {
            // a helper may have still been writing; it is dead now
            std::thread::sleep(POLL);
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Where an element lives: the top document, or a frame (its `<iframe>` element in the
/// top document, and the execution context inside it).
#[derive(Clone, Copy)]
struct Frame<'a> {
    offset: &'static str,
    context: Option<&'a Context>,
}

impl Frame<'_> {
    const TOP: Frame<'static> = Frame {
        offset: "",
        context: None,
    };
}

/// A JavaScript execution context inside a child frame.
struct Context {
    id: i64,
}

/// A minimal DevTools client: commands carry ids and wait for the answer with the same
/// id; events that arrive meanwhile are kept for the test to inspect.
struct Cdp {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: Vec<Value>,
}

impl Cdp {
    /// The command's `result`, or its `error`.
    async fn try_call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({"id": id, "method": method, "params": params});
        self.ws
            .send(Message::text(command.to_string()))
            .await
            .expect("DevTools socket closed");
        let answer = tokio::time::timeout(WAIT, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let msg: Value = serde_json::from_str(text.as_str()).unwrap();
                        if msg["id"] == id {
                            return msg;
                        }
                        if msg.get("method").is_some() {
                            self.events.push(msg);
                        }
                    }
                    Some(Ok(_)) => {}
                    other => panic!("DevTools socket closed: {other:?}"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no answer to {method} in {WAIT:?}"));
        match answer.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(answer["result"].clone()),
        }
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        match self.try_call(method, params).await {
            Ok(result) => result,
            Err(e) => panic!("{method}: {e}"),
        }
    }

    /// Evaluates `js` (awaiting a promise) in the page or in a frame's context.
    async fn try_eval(&mut self, context: Option<&Context>, js: &str) -> Result<Value, Value> {
        let mut params = json!({"expression": js, "awaitPromise": true, "returnByValue": true});
        if let Some(c) = context {
            params["contextId"] = json!(c.id);
        }
        let r = self.try_call("Runtime.evaluate", params).await?;
        match r.get("exceptionDetails") {
            Some(e) => Err(e.clone()),
            None => Ok(r["result"]["value"].clone()),
        }
    }

    async fn eval(&mut self, context: Option<&Context>, js: &str) -> Value {
        match self.try_eval(context, js).await {
            Ok(v) => v,
            Err(e) => panic!("{js}: {e}"),
        }
    }

    /// Polls `js` every 100 ms until it is true, for at most [`WAIT`].
    async fn wait_for(&mut self, what: &str, context: Option<&Context>, js: &str) {
        let waited = tokio::time::timeout(WAIT, async {
            loop {
                if let Ok(Value::Bool(true)) = self.try_eval(context, js).await {
                    return;
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await;
        if waited.is_err() {
            let shown = self
                .try_eval(context, "document.body ? document.body.innerText : ''")
                .await;
            panic!("waited {WAIT:?} for {what}; the page shows: {shown:?}");
        }
    }

    /// Navigates and waits for the document to load.
    async fn open(&mut self, url: &str) {
        let r = self.call("Page.navigate", json!({"url": url})).await;
        assert!(r.get("errorText").is_none(), "{url}: {r}");
        let js = format!(
            "location.href.startsWith({}) && document.readyState === 'complete'",
            json!(url)
        );
        self.wait_for(&format!("{url} to load"), None, &js).await;
    }

    /// A real mouse click in the middle of the element `element` (a JS expression)
    /// evaluated in `frame`.
    async fn click(&mut self, frame: Frame<'_>, element: &str) {
        let center =
            "(e => { e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); \
                      return [r.x + r.width / 2, r.y + r.height / 2]; })";
        let at = self
            .eval(frame.context, &format!("{center}({element})"))
            .await;
        let (mut x, mut y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        if frame.context.is_some() {
            let origin = self
                .eval(
                    None,
                    &format!(
                        "(f => {{ const r = f.getBoundingClientRect(); \
                         return [r.x + f.clientLeft, r.y + f.clientTop]; }})({})",
                        frame.offset
                    ),
                )
                .await;
            x += origin[0].as_f64().unwrap();
            y += origin[1].as_f64().unwrap();
        }
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )
            .await;
        }
    }

    async fn press_enter(&mut self) {
        for (kind, text) in [("keyDown", "\r"), ("keyUp", "")] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Enter", "code": "Enter",
                       "windowsVirtualKeyCode": 13, "text": text}),
            )
            .await;
        }
    }

    /// Waits for a child frame whose URL contains `url_part` and returns an isolated
    /// world in it (same DOM, its own globals), usable also across origins.
    async fn child_frame(&mut self, url_part: &str) -> Context {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                let tree = self.call("Page.getFrameTree", json!({})).await;
                let child = tree["frameTree"]["childFrames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| &c["frame"])
                    .find(|f| f["url"].as_str().unwrap_or_default().contains(url_part))
                    .map(|f| f["id"].clone());
                if let Some(frame_id) = child {
                    let world = self
                        .try_call(
                            "Page.createIsolatedWorld",
                            json!({"frameId": frame_id, "worldName": "atende-test"}),
                        )
                        .await;
                    if let Ok(w) = world {
                        return Context {
                            id: w["executionContextId"].as_i64().unwrap(),
                        };
                    }
                }
                tokio::time::sleep(POLL).await;
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("no frame with {url_part} in {WAIT:?}"))
    }

    /// Events named `method` received so far (their params).
    fn events(&self, method: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| e["method"] == method)
            .map(|e| e["params"].clone())
            .collect()
    }

    /// Saves a PNG of the viewport under `target/tmp/`.
    async fn screenshot(&mut self, name: &str) {
        use base64::Engine;
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&path, png).unwrap();
        println!("screenshot: {}", path.display());
    }
}
