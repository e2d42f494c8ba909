//! What one password hash and one verification cost with the default
//! Argon2id parameters (m=47104 KiB, t=1, p=1), through the adapter: the
//! blocking pool and the permit included.

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, criterion_main};
use latch_argon2::{Argon2Hasher, Argon2Settings};
use latch_domain::{Password, PasswordHasher, Verification};

fn hasher(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("a runtime");
    let hasher = Argon2Hasher::new(Argon2Settings::default(), 1).expect("the default costs");
    let password = Password::new("correct horse battery staple");
    let hash = runtime
        .block_on(hasher.hash(&password))
        .expect("a hash of the password");

    let mut group = c.benchmark_group("argon2id_default");
    // A hash takes tens of milliseconds: fewer, longer samples.
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("hash", |b| {
        b.iter(|| runtime.block_on(hasher.hash(black_box(&password))));
    });
    group.bench_function("verify", |b| {
        b.iter(|| {
            let verified = runtime.block_on(hasher.verify(black_box(&password), &hash));
            assert!(matches!(verified, Ok(Verification::Match)));
        });
    });
    group.finish();
}

/// Criterion's generated entry points, kept out of the crate's public items.
mod entry {
    criterion::criterion_group!(benches, super::hasher);
}

criterion_main!(entry::benches);
