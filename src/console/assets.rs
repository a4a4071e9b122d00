//! The console's own stylesheet, compiled into the binary.
use actix_web::{get, HttpResponse};

const STYLE: &str = include_str!("style.css");

#[get("/console/style.css")]
pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=300"))
        .body(STYLE)
}
