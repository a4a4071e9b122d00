//! The binary's start-up contract: bad configuration exits non-zero naming the field.
use std::process::Command;

#[test]
fn bad_database_url_exits_non_zero_naming_the_field() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("SWITCHBOARD__DATABASE__URL", "mysql://x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("database.url"), "{stderr}");
}

#[test]
fn check_config_accepts_the_defaults() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard")).arg("check-config").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Sqlite"));
}
