//! The outbox worker's one read per company of a batch of forwards: the secrets that sign them and
//! the endpoints that asked for no more, exactly the company's disabled ones.
use chrono::{Duration, Utc};
use switchboard::domain::CompanyId;
use switchboard::store::forward_endpoints::EndpointState;
use switchboard::store::Window;

use crate::backend_tests;
use crate::helpers::{spawn_app, Db};

backend_tests!(the_read_holds_the_secrets_and_only_the_disabled_endpoints);

async fn the_read_holds_the_secrets_and_only_the_disabled_endpoints(db: Db) {
    let app = spawn_app(db).await;
    let store = &app.store;
    let (acme, other) = (CompanyId::new(), CompanyId::new());
    store.create_company(acme, "Acme").await.unwrap();
    store.create_company(other, "Other").await.unwrap();

    // First use: the company's routing row and secret are created, nothing is disabled.
    let first = store.forwarding(acme).await.unwrap();
    assert!(first.disabled.is_empty(), "{first:?}");
    assert_eq!(first.secrets.previous, None);
    assert_eq!(first.secrets.current, store.get_routing_defaults(acme).await.unwrap().forward_secret);

    // URLs that need escaping in a JSON array come back as they were stored.
    let now = Utc::now();
    let urls = ["https://a.example/hook", "https://b.example/h?q=\"x\"&y=\\z", "https://c.example/"];
    for url in urls {
        assert!(store.disable_forward_endpoint(acme, url, "receiver answered 410", now).await.unwrap());
    }
    assert!(store
        .disable_forward_endpoint(other, "https://other.example/", "receiver answered 410", now)
        .await
        .unwrap());
    let listed = store.page_forward_endpoints(acme, &Window::all()).await.unwrap();
    let c = listed.iter().find(|e| e.url == urls[2]).expect("c listed");
    assert_eq!(store.enable_forward_endpoint(acme, c.id, now).await.unwrap().state, EndpointState::Active);

    let rotated = store.rotate_forward_secret(acme, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now + Duration::hours(1));
    let rotated = rotated.await.unwrap();
    let read = store.forwarding(acme).await.unwrap();
    assert_eq!(read.secrets, rotated, "the rotation's secrets, the previous one included");
    let mut disabled = read.disabled;
    disabled.sort();
    assert_eq!(disabled, vec![urls[0].to_owned(), urls[1].to_owned()], "re-enabled and other companies' left out");
}
