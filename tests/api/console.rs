//! The console's sessions over plain HTTP, on both backends (the browser suite, tests/console,
//! runs the pages in chromium on SQLite): a token becomes a session cookie (HttpOnly,
//! SameSite=Strict, Path=/console; Secure behind https) whose id is stored only as a hash; a form
//! without the session's CSRF token, or from another origin, is refused; a read-only token's POST
//! is refused; revoking the token or signing out ends the session.
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::admin_support::{spawn_admin, Admin, OPERATOR};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db};

backend_tests!(a_token_becomes_a_session_that_ends_with_the_token, forms_need_the_csrf_token_and_the_scope);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Signs in with `token`: the whole Set-Cookie header and the `name=value` pair to send back.
async fn sign_in(admin: &Admin, token: &str) -> (String, String) {
    let res = no_redirects()
        .post(format!("{}/console/sign-in", admin.app.address))
        .form(&[("token", token)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/console");
    let set = res.headers()[SET_COOKIE].to_str().expect("cookie").to_owned();
    let pair = set.split(';').next().expect("name=value").to_owned();
    (set, pair)
}

async fn page(admin: &Admin, cookie: &str, path: &str) -> (StatusCode, String) {
    let res =
        no_redirects().get(format!("{}{path}", admin.app.address)).header(COOKIE, cookie).send().await.expect("get");
    let status = res.status();
    let location = res.headers().get(LOCATION).map(|l| l.to_str().unwrap_or_default().to_owned());
    let text = res.text().await.unwrap_or_default();
    (status, location.unwrap_or(text))
}

/// The CSRF token on a page of the session.
async fn csrf_on(admin: &Admin, cookie: &str, path: &str) -> String {
    let (status, html) = page(admin, cookie, path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[at..at + 64].to_owned()
}

async fn a_token_becomes_a_session_that_ends_with_the_token(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, token) = admin.company("Acme").await;
    let (set, cookie) = sign_in(&admin, &token).await;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let id = cookie.split_once('=').expect("pair").1;
    assert_eq!(id.len(), 43, "256 random bits, base64url");

    // The database holds the id's hash only.
    let store = &admin.app.store;
    assert!(store.session(id).await.expect("read").is_none(), "the id itself is not stored");
    let stored = store.session(&switchboard::routes::auth::hash_token(id)).await.expect("read").expect("stored");
    assert_eq!(stored.token_hash, switchboard::routes::auth::hash_token(&token));

    // The session reaches its company's pages; the front page sends it there.
    let (status, to) = page(&admin, &cookie, "/console").await;
    assert_eq!((status, to), (StatusCode::SEE_OTHER, format!("/console/companies/{acme}/numbers")));
    let (status, html) = page(&admin, &cookie, &format!("/console/companies/{acme}/numbers")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<h1>Numbers</h1>"));

    // A sign-in form posted from another site opens nothing.
    let res = no_redirects()
        .post(format!("{}/console/sign-in", admin.app.address))
        .header(ORIGIN, "http://evil.example")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get(SET_COOKIE).is_none());

    // A wrong token opens nothing.
    let res = no_redirects()
        .post(format!("{}/console/sign-in", admin.app.address))
        .form(&[("token", "sbt_not-a-token")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(SET_COOKIE).is_none());

    // Revoking the token ends the session at its next request.
    let (s, tokens) = admin.call(Method::GET, &format!("/v1/companies/{acme}/tokens"), Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    let token_id = tokens["data"][0]["id"].as_str().expect("id").to_owned();
    let (s, _) = admin.op(Method::DELETE, &format!("/v1/companies/{acme}/tokens/{token_id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (status, to) = page(&admin, &cookie, &format!("/console/companies/{acme}/numbers")).await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/console/sign-in"));
    assert!(store.session(&switchboard::routes::auth::hash_token(id)).await.expect("read").is_none(), "deleted");

    // The operator's session; signing out deletes it.
    let (_, op_cookie) = sign_in(&admin, OPERATOR).await;
    let (status, html) = page(&admin, &op_cookie, "/console/companies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Acme"));
    let csrf = csrf_on(&admin, &op_cookie, "/console/companies").await;
    let res = no_redirects()
        .post(format!("{}/console/sign-out", admin.app.address))
        .header(COOKIE, &op_cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, to) = page(&admin, &op_cookie, "/console/companies").await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/console/sign-in"));
}

async fn forms_need_the_csrf_token_and_the_scope(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, token) = admin.company("Acme").await;
    let (s, read) = admin
        .op(Method::POST, &format!("/v1/companies/{acme}/tokens"), Some(json!({"name": "ro", "scopes": ["read"]})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, cookie) = sign_in(&admin, &token).await;
    let path = format!("/console/companies/{acme}/customers");
    let csrf = csrf_on(&admin, &cookie, &path).await;
    let post = |cookie: String, fields: Vec<(&'static str, String)>, origin: Option<&'static str>| {
        let url = format!("{}/console/companies/{acme}/customers/opt-outs", admin.app.address);
        async move {
            let mut req = no_redirects().post(url).header(COOKIE, cookie).form(&fields);
            if let Some(o) = origin {
                req = req.header(ORIGIN, o);
            }
            let res = req.send().await.expect("post");
            (res.status(), res.text().await.unwrap_or_default())
        }
    };
    let customer = ("customer", "+13035550100".to_owned());

    let (status, html) = post(cookie.clone(), vec![customer.clone()], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no csrf field");
    assert!(html.contains("did not come from this console session"), "{html}");
    let (status, _) = post(cookie.clone(), vec![("csrf", "0".repeat(64)), customer.clone()], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong csrf token");
    let (status, _) =
        post(cookie.clone(), vec![("csrf", csrf.clone()), customer.clone()], Some("http://evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another origin");
    let (_, opt_outs) = admin.op(Method::GET, &format!("/v1/companies/{acme}/opt-outs"), None).await;
    assert_eq!(opt_outs["data"], json!([]), "nothing written");

    let own_origin = Box::leak(admin.app.address.clone().into_boxed_str());
    let (status, to) = post(cookie.clone(), vec![("csrf", csrf.clone()), customer.clone()], Some(own_origin)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (_, opt_outs) = admin.op(Method::GET, &format!("/v1/companies/{acme}/opt-outs"), None).await;
    assert_eq!(opt_outs["data"][0]["customer"], "+13035550100");

    // A read-only token: no forms on the page, and its POST (with its own CSRF token) is 403.
    let (_, ro_cookie) = sign_in(&admin, read["token"].as_str().expect("token")).await;
    let (status, html) = page(&admin, &ro_cookie, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("method=\"post\"").count(), 1, "only the sign-out form: {html}");
    let ro_csrf = csrf_on(&admin, &ro_cookie, &path).await;
    let (status, html) = post(ro_cookie, vec![("csrf", ro_csrf), ("customer", "+13035550101".into())], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("lacks the `admin` scope"), "{html}");
}

#[actix_web::test]
async fn cookies_are_secure_behind_https() {
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
        s.public_base_url = Some("https://sb.example.com".parse().expect("url"));
    })
    .await;
    let res = no_redirects()
        .post(format!("{}/console/sign-in", app.address))
        .form(&[("token", OPERATOR)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set = res.headers()[SET_COOKIE].to_str().expect("cookie");
    assert!(set.contains("Secure"), "{set}");
}
