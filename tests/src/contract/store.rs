//! What a backend hands the suite: its store behind the three ports, or why
//! it cannot.

use std::{any::Any, fmt, future::Future, pin::Pin, sync::Arc};

use latch_domain::{
    GroupRepository, PendingSignInRepository, SecondFactorRepository, SessionRepository,
    SignInAttemptRepository, StoreHealth, User, UserRepository,
};

/// Makes a stored account look as if an older version had stored it, before
/// username skeletons were kept: it holds no skeleton.
pub type ForgetSkeleton =
    Arc<dyn Fn(User) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A fresh, empty store for one contract case, seen through its ports.
pub struct StoreUnderTest {
    /// The store as a user repository.
    pub users: Arc<dyn UserRepository>,
    /// The same store as a session repository.
    pub sessions: Arc<dyn SessionRepository>,
    /// The same store's groups and memberships.
    pub groups: Arc<dyn GroupRepository>,
    /// The same store's second factors.
    pub second_factors: Arc<dyn SecondFactorRepository>,
    /// The same store's sign-ins halfway.
    pub pending: Arc<dyn PendingSignInRepository>,
    /// The same store's failed sign-in counters.
    pub attempts: Arc<dyn SignInAttemptRepository>,
    /// The same store's health check.
    pub health: Arc<dyn StoreHealth>,
    /// How this backend makes an account look stored before skeletons
    /// were kept, which its ports never do; cases of the upgrade path need it.
    pub forget_skeleton: Option<ForgetSkeleton>,
    /// Guarantees this backend's server is known not to give, with why.
    pub gaps: Vec<(Gap, String)>,
    /// Whatever must live as long as the store (a temporary directory, a
    /// server handle); dropped after the ports, when the case ends.
    pub keep_alive: Vec<Box<dyn Any + Send>>,
}

impl StoreUnderTest {
    /// Wraps a store that implements all seven ports.
    pub fn new<S>(store: S) -> Self
    where
        S: UserRepository
            + SessionRepository
            + GroupRepository
            + SecondFactorRepository
            + PendingSignInRepository
            + SignInAttemptRepository
            + StoreHealth
            + 'static,
    {
        let store = Arc::new(store);
        Self {
            users: store.clone(),
            sessions: store.clone(),
            groups: store.clone(),
            second_factors: store.clone(),
            pending: store.clone(),
            attempts: store.clone(),
            health: store,
            forget_skeleton: None,
            gaps: Vec::new(),
            keep_alive: Vec::new(),
        }
    }

    /// Gives the way this backend makes an account look stored before
    /// skeletons were kept (it removes the account's stored skeleton).
    pub fn forgetting_skeletons_with<F, Fut>(mut self, forget: F) -> Self
    where
        F: Fn(User) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.forget_skeleton = Some(Arc::new(move |user| Box::pin(forget(user))));
        self
    }

    /// Records that this backend's server lacks `gap`, and why: cases that
    /// depend on it say so and check what they still can.
    pub fn lacking(mut self, gap: Gap, reason: impl Into<String>) -> Self {
        self.gaps.push((gap, reason.into()));
        self
    }

    /// Why this backend's server lacks `gap`, if it does.
    pub fn lacks(&self, gap: Gap) -> Option<&str> {
        self.gaps
            .iter()
            .find(|(known, _)| *known == gap)
            .map(|(_, reason)| reason.as_str())
    }

    /// Keeps `resource` alive until the case ends.
    pub fn keeping(mut self, resource: impl Any + Send) -> Self {
        self.keep_alive.push(Box::new(resource));
        self
    }
}

/// Why a backend cannot be tested here, such as "MONGODB_URI is not set".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    reason: String,
}

impl Unavailable {
    /// Gives the reason, as the skipped cases will print it.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A guarantee some server behind a backend does not give, though the
/// backend asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// Conditional updates of one document (an increment, a step moved
    /// forwards, a code pulled) applied one at a time when many arrive at
    /// once.
    ConcurrentConditionalUpdates,
}
