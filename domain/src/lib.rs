//! Latch's domain: who a user is, what a valid password and session are, the
//! rules for registering, signing in and managing accounts, and the events
//! those rules report.
//!
//! This crate does no I/O. Storage, hashing, time, randomness and the
//! events' subscribers are reached through the traits in [`ports`] and
//! [`events`], which adapters implement and the composition root plugs in.

pub mod access;
pub mod auth;
pub mod device;
pub mod events;
pub mod group;
pub mod password;
pub mod ports;
pub mod second_factor;
pub mod session;
pub mod throttle;
pub mod user;
pub mod username;

pub use access::{
    Access, AccessRule, AccessRuleError, AccessRules, AccessTarget, Allow, DefaultAccess,
    HostPattern, PathPrefix, Principal,
};
pub use auth::{
    AccountOwners, AccountReport, Authenticator, Authorization, BeginTotpError,
    ChangePasswordError, ConfirmTotpError, Credentials, DeleteAccountError, FactorsReset,
    GroupError, GroupMemberError, NewGroupError, OperatorError, Operators, Policies, Ports, Purged,
    RegisterError, RegistrationErrors, ReturnTarget, SecondFactorChangeError, SecondFactors,
    SecondStep, SecondStepError, SecondStepMethod, SessionInfo, SignIn, SignInError, SignInOutcome,
    SignedIn, SignedInFully, TotpEnrolment, TotpState, Visitors,
};
pub use device::DeviceToken;
pub use events::{
    AuthEvent, Broadcast, Channel, EventKind, Events, FactorKind, NoEvents, Origin, PasswordCheck,
};
pub use group::{GroupName, GroupNameError, GroupSummary};
pub use password::{Password, PasswordError, PasswordHash, PasswordPolicy, PolicyError};
pub use ports::{
    Clock, CreateGroupError, GroupRepository, HasherError, InsertUserError, KeyedDigest,
    MembershipError, PasswordHasher, PendingSignInRepository, SecondFactorRepository, SecretSealer,
    SessionRepository, SignInAttemptRepository, StorageError, StoreHealth, TokenSource,
    UserRepository, Verification,
};
pub use second_factor::{
    PendingId, PendingSignIn, PendingToken, RecoveryCode, RecoveryCodeDigest, SealedSecret,
    StoredTotp, TimeStep, TotpCode, TotpRejection, TotpSecret,
};
pub use session::{
    MAX_USER_AGENT_CHARS, Proof, ProofMethod, Session, SessionId, SessionPolicy, SessionToken,
    SignInContext,
};
pub use throttle::{FailedAttempts, Gate, ThrottleKey, ThrottlePolicy};
pub use user::{User, UserId};
pub use username::{Username, UsernameError, UsernameKey, UsernameSkeleton};
