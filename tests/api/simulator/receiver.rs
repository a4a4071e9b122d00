//! A webhook receiver for simulator tests: records every request (headers and raw body) and
//! answers the statuses it was given in order, then 200.
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct State {
    got: Mutex<Vec<Received>>,
    statuses: Mutex<VecDeque<u16>>,
}

/// A running receiver, stopped on drop.
pub struct Receiver {
    pub url: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Starts on a free port; answers `statuses` in order, then 200.
    pub fn start(statuses: &[u16]) -> Receiver {
        let state = Arc::new(State { got: Mutex::default(), statuses: Mutex::new(statuses.iter().copied().collect()) });
        let data = web::Data::from(Arc::clone(&state));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(receive)))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(0)
            .listen(listener)
            .expect("listen")
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver { url: format!("http://127.0.0.1:{port}/hooks"), state, handle }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.got.lock().expect("lock").clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    state.got.lock().expect("lock").push(Received {
        signature: header("telnyx-signature-ed25519"),
        timestamp: header("telnyx-timestamp"),
        body: body.to_vec(),
    });
    let status = state.statuses.lock().expect("lock").pop_front().unwrap_or(200);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).finish()
}
