//! The storage interface, same bodies on both backends.
use switchboard::demo;
use switchboard::domain::{CompanyId, Feature, Features, NumberStatus, PhoneNumber};
use switchboard::store::{CompanySettings, NewNumber, NumberFilter, NumberPatch, StoreError};

use crate::backend_tests;
use crate::helpers::{spawn_app, Db};

backend_tests!(
    companies_round_trip,
    numbers_insert_list_filter_update,
    one_live_owner_per_phone_number,
    numbers_are_scoped_to_their_company,
    settings_default_then_upsert,
    demo_loads_six_numbers_idempotently,
);

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

async fn companies_round_trip(db: Db) {
    let app = spawn_app(db).await;
    let id = CompanyId::new();
    let c = app.store.create_company(id, "Acme").await.unwrap();
    assert_eq!(c.name, "Acme");
    assert_eq!(app.store.get_company(id).await.unwrap().id, id);
    assert!(matches!(app.store.create_company(id, "Again").await, Err(StoreError::Conflict(_))));
    assert!(matches!(app.store.get_company(CompanyId::new()).await, Err(StoreError::NotFound)));
    assert_eq!(app.store.list_companies().await.unwrap().len(), 1);
}

async fn numbers_insert_list_filter_update(db: Db) {
    let app = spawn_app(db).await;
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.unwrap();
    let mut a = NewNumber::new(co, phone("+14155550100"));
    a.department = Some("Sales".into());
    a.telnyx_phone_number_id = Some("tn-1".into());
    let a = app.store.insert_number(&a).await.unwrap();
    assert_eq!(a.formatted_number, "+1 (415) 555-0100");
    assert_eq!(a.usage.sms_sent_count, 0);
    let mut b = NewNumber::new(co, phone("+12125550100"));
    b.features = [Feature::Voice].into_iter().collect();
    b.status = NumberStatus::Suspended;
    app.store.insert_number(&b).await.unwrap();

    let all = app.store.list_numbers(co, NumberFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);
    let sms = app.store.list_numbers(co, NumberFilter { feature: Some(Feature::Sms), status: None }).await.unwrap();
    assert_eq!(sms.iter().map(|n| n.phone_number.as_str()).collect::<Vec<_>>(), vec!["+14155550100"]);
    let suspended = app
        .store
        .list_numbers(co, NumberFilter { status: Some(NumberStatus::Suspended), feature: None })
        .await
        .unwrap();
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0].features, [Feature::Voice].into_iter().collect::<Features>());

    let patch = NumberPatch { department: Some(None), location: Some(Some("New York".into())), ..Default::default() };
    let updated = app.store.update_number(co, a.id, &patch).await.unwrap();
    assert_eq!(updated.department, None);
    assert_eq!(updated.location.as_deref(), Some("New York"));
    assert_eq!(updated.telnyx_phone_number_id.as_deref(), Some("tn-1"));
    assert_eq!(app.store.get_number(co, a.id).await.unwrap(), updated);
}

async fn one_live_owner_per_phone_number(db: Db) {
    let app = spawn_app(db).await;
    let (c1, c2) = (CompanyId::new(), CompanyId::new());
    app.store.create_company(c1, "One").await.unwrap();
    app.store.create_company(c2, "Two").await.unwrap();
    let first = app.store.insert_number(&NewNumber::new(c1, phone("+14155550100"))).await.unwrap();
    let dup = app.store.insert_number(&NewNumber::new(c2, phone("+14155550100"))).await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    // Once deleted, the number can be owned again.
    let patch = NumberPatch { status: Some(NumberStatus::Deleted), ..Default::default() };
    app.store.update_number(c1, first.id, &patch).await.unwrap();
    app.store.insert_number(&NewNumber::new(c2, phone("+14155550100"))).await.unwrap();
    let live = app.store.live_numbers().await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].company_id, c2);
}

async fn numbers_are_scoped_to_their_company(db: Db) {
    let app = spawn_app(db).await;
    let (c1, c2) = (CompanyId::new(), CompanyId::new());
    app.store.create_company(c1, "One").await.unwrap();
    app.store.create_company(c2, "Two").await.unwrap();
    let n = app.store.insert_number(&NewNumber::new(c1, phone("+14155550100"))).await.unwrap();
    assert!(matches!(app.store.get_number(c2, n.id).await, Err(StoreError::NotFound)));
    let patch = NumberPatch { status: Some(NumberStatus::Suspended), ..Default::default() };
    assert!(matches!(app.store.update_number(c2, n.id, &patch).await, Err(StoreError::NotFound)));
    assert_eq!(app.store.get_number(c1, n.id).await.unwrap().status, NumberStatus::Active);
    assert!(app.store.list_numbers(c2, NumberFilter::default()).await.unwrap().is_empty());
}

async fn settings_default_then_upsert(db: Db) {
    let app = spawn_app(db).await;
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.unwrap();
    assert_eq!(app.store.get_settings(co).await.unwrap(), CompanySettings::default());
    let mut new = NewNumber::new(co, phone("+14155550100"));
    new.telnyx_phone_number_id = Some("1293384261075731001".into());
    let n = app.store.insert_number(&new).await.unwrap();
    let s = CompanySettings {
        messaging_profile_id: Some("mp-1".into()),
        call_control_application_id: Some("1234".into()),
        outbound_voice_profile_id: Some("1293384261075731499".into()),
        default_outbound_number: Some(n.phone_number.clone()),
        default_outbound_phone_number_id: n.telnyx_phone_number_id.clone(),
        default_outbound_number_id: Some(n.id),
    };
    app.store.put_settings(co, &s).await.unwrap();
    app.store.put_settings(co, &s).await.unwrap();
    assert_eq!(app.store.get_settings(co).await.unwrap(), s);
}

async fn demo_loads_six_numbers_idempotently(db: Db) {
    let app = spawn_app(db).await;
    demo::load(app.store.as_ref()).await.unwrap();
    let again = demo::load(app.store.as_ref()).await.unwrap();
    assert!(again.contains("already present"), "{again}");
    let numbers = app.store.list_numbers(demo::DEMO_COMPANY_ID, NumberFilter::default()).await.unwrap();
    assert_eq!(numbers.len(), 6);
    let tag = |n: &str| {
        let r = numbers.iter().find(|r| r.phone_number.as_str() == n).unwrap();
        (r.department.clone(), r.location.clone())
    };
    assert_eq!(tag("+18314280176"), (Some("Sales".into()), None));
    assert_eq!(tag("+16505555678"), (Some("Emergency".into()), None));
    assert_eq!(tag("+12125550003"), (None, Some("New York".into())));
    let s = app.store.get_settings(demo::DEMO_COMPANY_ID).await.unwrap();
    assert_eq!(s.default_outbound_number.unwrap().as_str(), "+18314280176");
}
