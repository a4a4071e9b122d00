//! Pagination, the same for every list of the admin API: `?limit=` (1 to 1000, default 100) and an
//! opaque keyset `?cursor=`; the answer is `{"data": [...], "next_cursor": "..." | null}`, with a
//! `Link: <...>; rel="next"` header while another page follows.
//!
//! A cursor is base64url of the last row's sort key, the list it belongs to (its name and, for a
//! company's lists, the company) and a checksum: a cursor that was altered, or that another list
//! or company gave out, is refused with a 400 naming `cursor`. It is no secret and grants nothing:
//! every query keeps its company filter, and a cursor only says where among those rows to start.
//!
//! A handler reads its page in three steps:
//!
//! ```ignore
//! let listing = page.of(List::company("opt-outs", company))?; // 400 naming limit or cursor
//! let rows = store.page_opt_outs(company, listing.window()).await?; // up to limit + 1 rows
//! listing.respond(rows, |o| o.customer.as_str().to_owned()) // the envelope and the Link header
//! ```
use std::future::{ready, Ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::api_error::ApiError;
use crate::domain::CompanyId;
use crate::store::Window;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// Longer than any cursor this daemon gives out (keys are a few short columns).
const MAX_CURSOR_LEN: usize = 2048;

/// The query parameters of every list (documented here; [`Page`] reads them).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page: 1 to 1000, default 100.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page, as it was answered; absent for the first page.
    #[param(value_type = Option<String>, pattern = "^[A-Za-z0-9_-]+$", max_length = 2048)]
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Paginated<T> {
    pub data: Vec<T>,
    /// Pass it as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// What every list answers besides its body, declared once for the OpenAPI document: on each
/// operation with a `cursor` query parameter, the `Link` header of its 200 and a 400 for a bad
/// `limit` or `cursor` (unless the operation documents its 400 itself).
pub struct PaginationDoc;

impl utoipa::Modify for PaginationDoc {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        for op in openapi.paths.paths.values_mut().filter_map(|item| item.get.as_mut()) {
            if !op.parameters.iter().flatten().any(|p| p.name == "cursor" && p.parameter_in == ParameterIn::Query) {
                continue;
            }
            if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
                let link = HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(
                        "`<this request with cursor=next_cursor>; rel=\"next\"`, while another page follows",
                    ))
                    .build();
                ok.headers.insert("Link".into(), link);
            }
            op.responses.responses.entry("400".into()).or_insert_with(|| {
                let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
                ResponseBuilder::new()
                    .description("Bad limit or cursor; `field` names it")
                    .content("application/problem+json", content)
                    .into()
            });
        }
    }
}

/// Which list a cursor belongs to: a cursor is valid only for the list (and company) it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List {
    name: &'static str,
    company: Option<CompanyId>,
}

impl List {
    /// A list of one company's rows (`numbers`, `opt-outs`, ...).
    pub fn company(name: &'static str, company: CompanyId) -> Self {
        List { name, company: Some(company) }
    }

    /// A list that is not one company's (the companies themselves).
    pub fn global(name: &'static str) -> Self {
        List { name, company: None }
    }
}

/// The page a request asks for, as an extractor. Reading it never fails: a bad `limit` or
/// `cursor` is reported by [`Page::of`], after the handler's other extractors have checked the
/// token and the company, so an unauthenticated request is a 401 whatever its query says.
#[derive(Debug)]
pub struct Page {
    query: Result<PageQuery, String>,
    path: String,
    /// The request's other query parameters (filters, `limit`), repeated in the next page's link.
    kept: Vec<(String, String)>,
}

impl FromRequest for Page {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(Page::from_query(req.query_string(), req.path())))
    }
}

impl Page {
    /// The page the query string `raw` of a request to `path` asks for (also the console's pages).
    pub fn from_query(raw: &str, path: &str) -> Page {
        let query =
            actix_web::web::Query::<PageQuery>::from_query(raw).map(|q| q.into_inner()).map_err(|e| e.to_string());
        let kept = url::form_urlencoded::parse(raw.as_bytes())
            .filter(|(k, _)| k != "cursor")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Page { query, path: path.to_owned(), kept }
    }

    /// The window of `list` this request asks for (one row more than the page: that row tells
    /// whether another page follows); a 400 naming `limit` or `cursor` when they are bad.
    pub fn of<K: DeserializeOwned>(self, list: List) -> Result<Listing<K>, ApiError> {
        let query = self.query.map_err(|e| ApiError::invalid("query", e))?;
        let limit = parse_limit(query.limit.as_deref())?;
        let after = query.cursor.as_deref().map(|c| decode(list, c)).transpose()?;
        Ok(Listing { window: Window { after, limit: limit + 1 }, limit, list, path: self.path, kept: self.kept })
    }
}

fn parse_limit(raw: Option<&str>) -> Result<i64, ApiError> {
    let Some(raw) = raw else { return Ok(DEFAULT_LIMIT) };
    match raw.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"))),
    }
}

/// A page being read: the window to ask the store for, and how to answer what it returns.
#[derive(Debug)]
pub struct Listing<K> {
    window: Window<K>,
    limit: i64,
    list: List,
    path: String,
    kept: Vec<(String, String)>,
}

impl<K: Serialize> Listing<K> {
    pub fn window(&self) -> &Window<K> {
        &self.window
    }

    /// Answers `rows` (what the store returned for [`Listing::window`]) as one page: at most
    /// `limit` of them, and the cursor after the last one when the store found more.
    pub fn respond<T: Serialize>(self, rows: Vec<T>, key: impl FnOnce(&T) -> K) -> Result<HttpResponse, ApiError> {
        let (rows, next_cursor) = self.split(rows, key)?;
        let mut res = HttpResponse::Ok();
        if let Some(cursor) = &next_cursor {
            res.insert_header((header::LINK, self.next_link(cursor)));
        }
        Ok(res.json(Paginated { data: rows, next_cursor }))
    }

    /// At most `limit` of `rows` (what the store returned for [`Listing::window`]) and the cursor
    /// after the last one when the store found more: the page [`Listing::respond`] answers, for
    /// callers that render it themselves (the console).
    pub fn split<T>(&self, mut rows: Vec<T>, key: impl FnOnce(&T) -> K) -> Result<(Vec<T>, Option<String>), ApiError> {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode(self.list, &key(last))).transpose()?
        } else {
            None
        };
        Ok((rows, next_cursor))
    }

    /// `<path?query>; rel="next"`: this request's path and parameters with the next cursor, as a
    /// reference relative to the request (RFC 8288), so it holds behind any proxy.
    fn next_link(&self, cursor: &str) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(&self.kept);
        query.append_pair("cursor", cursor);
        format!("<{}?{}>; rel=\"next\"", self.path, query.finish())
    }
}

/// What a cursor holds, in JSON before the checksum.
#[derive(Serialize, Deserialize)]
struct CursorBody<S, K> {
    /// The list's name.
    #[serde(rename = "l")]
    list: S,
    /// The company of a company's list.
    #[serde(rename = "c")]
    company: Option<Uuid>,
    /// The sort key of the last row of the page.
    #[serde(rename = "k")]
    key: K,
}

const CHECKSUM_LEN: usize = 8;

fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::new().chain_update(b"switchboard list cursor\0").chain_update(body).finalize();
    let mut out = [0; CHECKSUM_LEN];
    out.copy_from_slice(&digest[..CHECKSUM_LEN]);
    out
}

fn encode<K: Serialize>(list: List, key: &K) -> Result<String, ApiError> {
    let body = CursorBody { list: list.name, company: list.company.map(|c| c.as_uuid()), key };
    let mut bytes = serde_json::to_vec(&body).map_err(|e| ApiError::Internal(format!("cursor: {e}")))?;
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum);
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn decode<K: DeserializeOwned>(list: List, raw: &str) -> Result<K, ApiError> {
    let bad = || ApiError::invalid("cursor", "is not a cursor of this list; pass next_cursor as it was answered");
    if raw.len() > MAX_CURSOR_LEN {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
    let Some(split) = bytes.len().checked_sub(CHECKSUM_LEN) else { return Err(bad()) };
    let (body, sum) = bytes.split_at(split);
    if checksum(body) != sum {
        return Err(bad());
    }
    let body: CursorBody<String, K> = serde_json::from_slice(body).map_err(|_| bad())?;
    if body.list != list.name || body.company != list.company.map(|c| c.as_uuid()) {
        return Err(bad());
    }
    Ok(body.key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn acme() -> CompanyId {
        CompanyId::from_uuid(Uuid::from_u128(1))
    }

    #[test]
    fn a_cursor_gives_back_the_key_it_was_made_from() {
        let list = List::company("routing-log", acme());
        let at: DateTime<Utc> = "2026-11-25T10:00:00.123456Z".parse().unwrap();
        let key = (at, "ev-1".to_owned(), "+18314280176".to_owned());
        let cursor = encode(list, &key).unwrap();
        assert!(cursor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{cursor}");
        assert_eq!(decode::<(DateTime<Utc>, String, String)>(list, &cursor).unwrap(), key);
    }

    #[test]
    fn a_cursor_of_another_list_or_company_or_altered_is_refused() {
        let list = List::company("opt-outs", acme());
        let cursor = encode(list, &"+14155550100".to_owned()).unwrap();
        let other_company = List::company("opt-outs", CompanyId::from_uuid(Uuid::from_u128(2)));
        let other_list = List::company("assignments", acme());
        let mut altered = cursor.clone().into_bytes();
        altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        for (list, raw) in [
            (other_company, cursor.as_str()),
            (other_list, cursor.as_str()),
            (List::global("opt-outs"), cursor.as_str()),
            (list, altered.as_str()),
            (list, ""),
            (list, "not base64!"),
            (list, &cursor[..cursor.len() - 2]),
        ] {
            let err = decode::<String>(list, raw).unwrap_err();
            assert!(matches!(&err, ApiError::Invalid { field, .. } if field == "cursor"), "{raw}: {err:?}");
        }
        // The right list, but a key of the wrong shape (a forged body with a valid checksum).
        let forged = encode(list, &(1, 2)).unwrap();
        assert!(decode::<String>(list, &forged).is_err());
    }

    #[test]
    fn limits_outside_1_to_1000_name_limit() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("1000")).unwrap(), 1000);
        for bad in ["0", "1001", "-1", "ten", "", "1.5", "99999999999999999999"] {
            let err = parse_limit(Some(bad)).unwrap_err();
            assert!(matches!(&err, ApiError::Invalid { field, .. } if field == "limit"), "{bad}: {err:?}");
        }
    }
}
