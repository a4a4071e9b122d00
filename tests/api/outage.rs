//! Making the database refuse writes for a while: another connection holds an exclusive lock.
use sqlx::Connection;

use crate::helpers::{Db, TestDb};

pub enum WriteLock {
    Pg(sqlx::PgConnection),
    Sqlite(sqlx::SqliteConnection),
}

pub async fn lock_writes(db: &TestDb) -> WriteLock {
    match db.db {
        Db::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            sqlx::query("BEGIN").execute(&mut c).await.unwrap();
            sqlx::query("LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE").execute(&mut c).await.unwrap();
            WriteLock::Pg(c)
        }
        Db::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query("BEGIN EXCLUSIVE").execute(&mut c).await.unwrap();
            WriteLock::Sqlite(c)
        }
    }
}

impl WriteLock {
    pub async fn release(self) {
        match self {
            WriteLock::Pg(mut c) => {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            }
            WriteLock::Sqlite(mut c) => {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            }
        }
    }
}
