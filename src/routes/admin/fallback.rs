//! What a request no route matched gets: 405 with `Allow` when its path is a documented one (the
//! method is the problem), else 404; both application/problem+json like every other admin error.
use std::sync::OnceLock;

use actix_web::http::header::{HeaderValue, ALLOW};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use utoipa::OpenApi;

use super::openapi::ApiDoc;
use crate::routes::problem::Problem;

/// One documented path: its segments (`None` for a `{parameter}`) and its methods.
struct Template {
    segments: Vec<Option<String>>,
    allow: String,
}

impl Template {
    fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        parts.len() == self.segments.len()
            && parts.iter().zip(&self.segments).all(|(part, seg)| match seg {
                // actix's `{name}` matches one non-empty segment.
                None => !part.is_empty(),
                Some(literal) => literal == part,
            })
    }
}

fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let doc = ApiDoc::openapi();
        let mut out: Vec<Template> = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                    .collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ];
                let allow = methods.iter().filter(|(_, on)| *on).map(|(m, _)| *m).collect::<Vec<_>>().join(", ");
                Template { segments, allow }
            })
            .collect();
        // GET /openapi.json is served but not part of its own document.
        out.push(Template { segments: vec![Some("openapi.json".into())], allow: "GET".into() });
        out
    })
}

/// The app's default service.
pub async fn answer(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    // A literal path wins over a parameter: /v1/companies/x/numbers/purchase is the purchase
    // route, not GET /numbers/{number_id}, so the most literal match names the methods.
    let best = templates()
        .iter()
        .filter(|t| t.matches(path))
        .max_by_key(|t| t.segments.iter().filter(|s| s.is_some()).count());
    match best {
        Some(t) => {
            let detail = format!("{} is not allowed on {path}; allowed: {}", req.method(), t.allow);
            let mut res = Problem::new(StatusCode::METHOD_NOT_ALLOWED, detail).response();
            if let Ok(v) = HeaderValue::from_str(&t.allow) {
                res.headers_mut().insert(ALLOW, v);
            }
            res
        }
        None => Problem::new(StatusCode::NOT_FOUND, "no such endpoint").response(),
    }
}
