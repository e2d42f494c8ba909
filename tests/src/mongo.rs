//! The MongoDB server the tests use, named by `MONGODB_URI`: a fresh
//! database for each test, dropped when it ends, or an honest reason to skip.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use latch_mongodb::{MongoSettings, MongoStore, Target};

use crate::contract::Unavailable;

/// The environment variable naming the test server.
pub const URI_VARIABLE: &str = "MONGODB_URI";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The test server's URI, or why there is none.
pub fn server_uri() -> Result<String, Unavailable> {
    match std::env::var(URI_VARIABLE) {
        Ok(uri) if !uri.trim().is_empty() => Ok(uri),
        _ => Err(Unavailable::new(format!(
            "{URI_VARIABLE} is not set, so the MongoDB tests cannot run; start a \
             MongoDB-compatible server (.ci/run starts FerretDB) and set it, e.g. \
             {URI_VARIABLE}=mongodb://127.0.0.1:27017/"
        ))),
    }
}

/// A database of its own on the test server, dropped (with everything in
/// it) when this is dropped, even when the test fails.
pub struct TestDatabase {
    uri: String,
    name: String,
}

impl TestDatabase {
    /// Picks a database name no other test uses, on the server named by
    /// `MONGODB_URI`.
    pub fn new() -> Result<Self, Unavailable> {
        let uri = server_uri()?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or_default();
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("latch_test_{}_{count}_{nanos}", std::process::id());
        Ok(Self { uri, name })
    }

    /// The server's URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Store settings for this database, with a five-second timeout.
    pub fn settings(&self) -> MongoSettings {
        MongoSettings {
            uri: self.uri.clone(),
            database: self.name.clone(),
            timeout: Duration::from_secs(5),
        }
    }

    /// Settings overrides that point a [`TestServer`](crate::server::TestServer)
    /// at this database.
    pub fn overrides(&self) -> [(&'static str, &str); 3] {
        [
            ("LATCH__STORAGE__BACKEND", "mongodb"),
            ("LATCH__STORAGE__MONGODB__URI", &self.uri),
            ("LATCH__STORAGE__MONGODB__DATABASE", &self.name),
        ]
    }

    /// Settings overrides like [`overrides`](Self::overrides), but reaching
    /// the server through `relay` (a single-host URI with the relay's
    /// address in place of the server's), with a one-second timeout.
    pub fn overrides_through(&self, relay: SocketAddr) -> Vec<(&'static str, String)> {
        let hosts = Target::of_uri(&self.uri).to_string();
        let uri = self.uri.replacen(&hosts, &relay.to_string(), 1);
        vec![
            ("LATCH__STORAGE__BACKEND", "mongodb".to_owned()),
            ("LATCH__STORAGE__MONGODB__URI", uri),
            ("LATCH__STORAGE__MONGODB__DATABASE", self.name.clone()),
            ("LATCH__STORAGE__MONGODB__TIMEOUT", "1s".to_owned()),
        ]
    }

    /// The server's address, for a relay in front of it (the first host of
    /// the URI, resolved).
    pub async fn server_address(&self) -> SocketAddr {
        let hosts = Target::of_uri(&self.uri).to_string();
        let first = hosts.split(',').next().unwrap_or_default();
        let first = if first.contains(':') {
            first.to_owned()
        } else {
            format!("{first}:27017")
        };
        tokio::net::lookup_host(&first)
            .await
            .ok()
            .and_then(|mut addresses| addresses.next())
            .unwrap_or_else(|| panic!("{URI_VARIABLE} names {first}, which does not resolve"))
    }

    /// Connects a store to this database; a server that is configured but
    /// does not answer fails the test.
    pub async fn store(&self) -> MongoStore {
        MongoStore::connect(&self.settings())
            .await
            .unwrap_or_else(|error| panic!("{URI_VARIABLE} is set but unusable: {error}"))
    }

    /// Whether the server is FerretDB rather than MongoDB (its `buildInfo`
    /// says so), for the few behaviours FerretDB 1.x does not share.
    pub async fn is_ferretdb(&self) -> bool {
        let info = self
            .raw()
            .await
            .run_command(mongodb::bson::doc! { "buildInfo": 1 })
            .await
            .expect("buildInfo answers");
        info.contains_key("ferretdbVersion")
    }

    /// A raw driver handle on this database, for looking at documents and
    /// indexes as the server holds them.
    pub async fn raw(&self) -> mongodb::Database {
        let client = mongodb::Client::with_uri_str(&self.uri)
            .await
            .expect("a MongoDB client");
        client.database(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // a thread with its own runtime and client does the dropping.
        let (uri, name) = (self.uri.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let client = mongodb::Client::with_uri_str(&uri)
                    .await
                    .map_err(|error| error.kind.to_string())?;
                client
                    .database(&name)
                    .drop()
                    .await
                    .map_err(|error| error.kind.to_string())
            })
        })
        .join();
        if let Ok(Err(error)) | Err(error) = dropped.map_err(|_| "panicked".to_owned()) {
            eprintln!("could not drop the test database {}: {error}", self.name);
        }
    }
}
