//! A local HTTP sink on its own thread: the product's receiver of forwarded messages (answers 2xx,
//! counts each `webhook-id` it received) and the Telnyx API stand-in for call commands (answers
//! 200 with a command result, counts them). Plain HTTP/1.1 with keep-alive, nothing else.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
pub struct Received {
    /// Forwards by webhook-id: how many times each arrived.
    pub forwards: HashMap<String, u32>,
    /// Telnyx commands by path suffix (`answer`, `transfer`, ...).
    pub commands: HashMap<String, u64>,
}

#[derive(Clone)]
pub struct Sink {
    pub port: u16,
    pub received: Arc<Mutex<Received>>,
}

impl Sink {
    /// Listens on a free loopback port, served by a thread of its own (not the load's cores'
    /// scheduler: the generator's runtime is single-threaded).
    pub fn start() -> Sink {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the sink");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Received::default()));
        let shared = received.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("sink runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                loop {
                    let Ok((stream, _)) = listener.accept().await else { continue };
                    tokio::spawn(serve(stream, shared.clone()));
                }
            });
        });
        Sink { port, received }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// (distinct forwards, forwards received more than once, commands by kind).
    pub fn snapshot(&self) -> (usize, usize, HashMap<String, u64>) {
        let r = self.received.lock().unwrap();
        (r.forwards.len(), r.forwards.values().filter(|n| **n > 1).count(), r.commands.clone())
    }

    pub fn has_forward(&self, id: &str) -> bool {
        self.received.lock().unwrap().forwards.contains_key(id)
    }
}

/// What Telnyx answers a call command: `{"data":{"result":"ok"}}` (24 bytes).
const COMMAND_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 24\r\n\r\n{\"data\":{\"result\":\"ok\"}}";

async fn serve(stream: TcpStream, received: Arc<Mutex<Received>>) {
    let _ = stream.set_nodelay(true);
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or_default().to_owned();
        let (mut len, mut webhook_id) = (0usize, None);
        loop {
            line.clear();
            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            } else if lower.starts_with("webhook-id:") {
                webhook_id = Some(line["webhook-id:".len()..].trim().to_owned());
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).await.is_err() {
            return;
        }
        let answer: &[u8] = {
            let mut got = received.lock().unwrap();
            if let Some(id) = webhook_id {
                *got.forwards.entry(id).or_default() += 1;
                b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"
            } else {
                let kind = path.rsplit('/').next().unwrap_or_default().to_owned();
                *got.commands.entry(kind).or_default() += 1;
                COMMAND_ANSWER
            }
        };
        if w.write_all(answer).await.is_err() {
            return;
        }
    }
}
