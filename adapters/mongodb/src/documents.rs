//! How domain values become BSON documents and back. Field names live here
//! and nowhere else.

use latch_domain::{
    FailedAttempts, GroupName, PasswordHash, PendingId, PendingSignIn, Proof, ProofMethod,
    SealedSecret, Session, SessionId, StorageError, StoredTotp, TimeStep, User, UserId, Username,
    group::sorted_groups,
};
use mongodb::bson::{Binary, Bson, DateTime, Document, doc, spec::BinarySubtype};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::CorruptDocument;

/// The accounts' collection.
pub(crate) const USERS: &str = "users";
/// The sessions' collection.
pub(crate) const SESSIONS: &str = "sessions";
/// Failed sign-ins, one document per username key (its `_id`).
pub(crate) const LOGIN_FAILURES: &str = "login_failures";
/// Groups, one document per group, its name the `_id`.
pub(crate) const GROUPS: &str = "groups";
/// Each account's second factors, the account's id the `_id`.
pub(crate) const SECOND_FACTORS: &str = "second_factors";
/// Sign-ins halfway, the digest of the client's token the `_id`.
pub(crate) const PENDING_SIGN_INS: &str = "pending_sign_ins";

/// Field names.
pub(crate) mod field {
    /// Every document's key: a user's UUID, a session's digest.
    pub(crate) const ID: &str = "_id";
    /// The name as its owner wrote it.
    pub(crate) const USERNAME: &str = "username";
    /// The case-folded NFKC key that decides uniqueness.
    pub(crate) const USERNAME_KEY: &str = "username_key";
    /// The key's confusable skeleton, unique too: names that look alike
    /// share it. Absent from accounts stored before it was kept, until
    /// filled in at start-up.
    pub(crate) const USERNAME_SKELETON: &str = "username_skeleton";
    /// The PHC string.
    pub(crate) const PASSWORD_HASH: &str = "password_hash";
    /// When the account or session was created.
    pub(crate) const CREATED_AT: &str = "created_at";
    /// The last successful sign-in; absent before the first.
    pub(crate) const LAST_LOGIN_AT: &str = "last_login_at";
    /// A session's account.
    pub(crate) const USER_ID: &str = "user_id";
    /// When a session ends.
    pub(crate) const EXPIRES_AT: &str = "expires_at";
    /// An account's credential version, or the one a session was issued under.
    pub(crate) const CREDENTIAL_VERSION: &str = "credential_version";
    /// When a session's owner last proved their password.
    pub(crate) const AUTHENTICATED_AT: &str = "authenticated_at";
    /// When a session was last used.
    pub(crate) const LAST_SEEN_AT: &str = "last_seen_at";
    /// How a session's owner proved who they are: RFC 8176 method names.
    pub(crate) const PROOF: &str = "proof";
    /// Whether a session is remembered.
    pub(crate) const REMEMBER: &str = "remember";
    /// Whether an account is disabled; absent means not (older documents).
    pub(crate) const DISABLED: &str = "disabled";
    /// A session's shortened user agent at sign-in; absent when unknown.
    pub(crate) const USER_AGENT: &str = "user_agent";
    /// A session's client IP at sign-in; absent when unknown.
    pub(crate) const CLIENT_IP: &str = "client_ip";
    /// The names of the groups an account belongs to (an array of strings,
    /// changed by `$addToSet` and `$pull`); absent means none (older
    /// documents, new accounts).
    pub(crate) const GROUPS: &str = "groups";
    /// Consecutive failed sign-ins.
    pub(crate) const COUNT: &str = "count";
    /// When the latest sign-in failed.
    pub(crate) const LAST_FAILED_AT: &str = "last_failed_at";
    /// A second-factor document's authenticator app (absent: none).
    pub(crate) const TOTP: &str = "totp";
    /// Its sealed key, binary.
    pub(crate) const SECRET: &str = "secret";
    /// When it was set up.
    pub(crate) const ADDED_AT: &str = "added_at";
    /// When a first code proved it; absent until then.
    pub(crate) const CONFIRMED_AT: &str = "confirmed_at";
    /// The last 30-second step accepted (Int64); absent before the first.
    pub(crate) const LAST_ACCEPTED: &str = "last_accepted";
    /// A second-factor document's unspent recovery codes: SHA-256
    /// digests, binary.
    pub(crate) const RECOVERY_CODES: &str = "recovery_codes";
    /// Where a sign-in halfway goes once complete; absent for nowhere.
    pub(crate) const RETURN_TO: &str = "return_to";
}

/// Paths into a second-factor document's authenticator app.
pub(crate) mod totp_path {
    /// `totp.secret`.
    pub(crate) const SECRET: &str = "totp.secret";
    /// `totp.confirmed_at`.
    pub(crate) const CONFIRMED_AT: &str = "totp.confirmed_at";
    /// `totp.last_accepted`.
    pub(crate) const LAST_ACCEPTED: &str = "totp.last_accepted";
}

/// A user id as a BSON UUID (binary subtype 4).
pub(crate) fn user_id(id: UserId) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Uuid,
        bytes: id.as_uuid().as_bytes().to_vec(),
    })
}

/// Bytes as a BSON binary (subtype 0).
pub(crate) fn binary(bytes: &[u8]) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Generic,
        bytes: bytes.to_vec(),
    })
}

/// A session digest as a BSON binary (subtype 0, 32 bytes).
pub(crate) fn session_id(id: &SessionId) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Generic,
        bytes: id.as_bytes().to_vec(),
    })
}

/// A time as a BSON date; anything finer than a millisecond is dropped.
pub(crate) fn date(at: OffsetDateTime) -> Result<DateTime, StorageError> {
    let millis = at.unix_timestamp_nanos().div_euclid(1_000_000);
    i64::try_from(millis)
        .map(DateTime::from_millis)
        .map_err(|_| StorageError::new(format!("{at} is out of range for a BSON date")))
}

/// An account as stored in `users`.
pub(crate) fn user_document(user: &User) -> Result<Document, StorageError> {
    let mut document = doc! {
        field::ID: user_id(user.id),
        field::USERNAME: user.username.as_str(),
        field::USERNAME_KEY: user.username.key().as_str(),
        field::USERNAME_SKELETON: user.username.skeleton().as_str(),
        field::PASSWORD_HASH: user.password_hash.as_str(),
        field::CREATED_AT: date(user.created_at)?,
        field::CREDENTIAL_VERSION: i64::from(user.credential_version),
        field::DISABLED: user.disabled,
    };
    if let Some(at) = user.last_login_at {
        document.insert(field::LAST_LOGIN_AT, date(at)?);
    }
    Ok(document)
}

/// A session as stored in `sessions`.
pub(crate) fn session_document(session: &Session) -> Result<Document, StorageError> {
    let mut document = doc! {
        field::ID: session_id(&session.id),
        field::USER_ID: user_id(session.user_id),
        field::CREATED_AT: date(session.created_at)?,
        field::AUTHENTICATED_AT: date(session.authenticated_at)?,
        field::LAST_SEEN_AT: date(session.last_seen_at)?,
        field::EXPIRES_AT: date(session.expires_at)?,
        field::REMEMBER: session.remember,
        field::CREDENTIAL_VERSION: i64::from(session.credential_version),
        field::PROOF: session.proof.methods().map(ProofMethod::amr).collect::<Vec<_>>(),
    };
    if let Some(agent) = &session.user_agent {
        document.insert(field::USER_AGENT, agent.as_str());
    }
    if let Some(ip) = &session.client_ip {
        document.insert(field::CLIENT_IP, ip.as_str());
    }
    Ok(document)
}

/// Reads an account written by [`user_document`].
pub(crate) fn user_from(document: &Document) -> Result<User, StorageError> {
    let fields = Fields::new(USERS, document);
    Ok(User {
        id: fields.user_id(field::ID)?,
        username: Username::from_stored(fields.string(field::USERNAME)?),
        password_hash: PasswordHash::new(fields.string(field::PASSWORD_HASH)?),
        created_at: fields.time(field::CREATED_AT)?,
        last_login_at: fields.optional_time(field::LAST_LOGIN_AT)?,
        credential_version: fields.count(field::CREDENTIAL_VERSION)?,
        disabled: fields.optional_boolean(field::DISABLED)?.unwrap_or(false),
        groups: fields.groups(field::GROUPS)?,
    })
}

/// Reads the name of a group document (its `_id`).
pub(crate) fn group_name_from(document: &Document) -> Result<GroupName, StorageError> {
    let name = Fields::new(GROUPS, document).string(field::ID)?;
    Ok(GroupName::from_stored(name))
}

/// Reads the username of an account document (or of its projection).
pub(crate) fn username_from(document: &Document) -> Result<Username, StorageError> {
    let name = Fields::new(USERS, document).string(field::USERNAME)?;
    Ok(Username::from_stored(name))
}

/// Reads a session written by [`session_document`].
pub(crate) fn session_from(document: &Document) -> Result<Session, StorageError> {
    let fields = Fields::new(SESSIONS, document);
    Ok(Session {
        id: fields.session_id(field::ID)?,
        user_id: fields.user_id(field::USER_ID)?,
        created_at: fields.time(field::CREATED_AT)?,
        authenticated_at: fields.time(field::AUTHENTICATED_AT)?,
        last_seen_at: fields.time(field::LAST_SEEN_AT)?,
        expires_at: fields.time(field::EXPIRES_AT)?,
        remember: fields.boolean(field::REMEMBER)?,
        credential_version: fields.count(field::CREDENTIAL_VERSION)?,
        user_agent: fields.optional_string(field::USER_AGENT)?,
        client_ip: fields.optional_string(field::CLIENT_IP)?,
        proof: fields.proof(field::PROOF)?,
    })
}

/// Reads a failure count written by the attempts' upsert.
pub(crate) fn attempts_from(document: &Document) -> Result<FailedAttempts, StorageError> {
    let fields = Fields::new(LOGIN_FAILURES, document);
    Ok(FailedAttempts {
        count: fields.count(field::COUNT)?,
        last_failed_at: fields.time(field::LAST_FAILED_AT)?,
    })
}

/// Reads the authenticator app of a second-factor document, if it has one.
pub(crate) fn totp_from(document: &Document) -> Result<Option<StoredTotp>, StorageError> {
    let app = match document.get(field::TOTP) {
        None | Some(Bson::Null) => return Ok(None),
        Some(Bson::Document(app)) => app,
        Some(other) => {
            return Err(Fields::new(SECOND_FACTORS, document).corrupt(
                field::TOTP,
                format!("is a {:?}, not a document", other.element_type()),
            ));
        }
    };
    let fields = Fields::new(SECOND_FACTORS, app);
    Ok(Some(StoredTotp {
        secret: SealedSecret::from_bytes(
            fields
                .binary(field::SECRET, BinarySubtype::Generic)?
                .to_vec(),
        ),
        added_at: fields.time(field::ADDED_AT)?,
        confirmed_at: fields.optional_time(field::CONFIRMED_AT)?,
        last_accepted: match app.get(field::LAST_ACCEPTED) {
            None | Some(Bson::Null) => None,
            Some(Bson::Int64(step)) => Some(TimeStep::from_index(u64::try_from(*step).map_err(
                |_| fields.corrupt(field::LAST_ACCEPTED, format!("{step} is negative")),
            )?)),
            Some(other) => {
                return Err(fields.corrupt(
                    field::LAST_ACCEPTED,
                    format!("is a {:?}, not an Int64", other.element_type()),
                ));
            }
        },
    }))
}

/// How many recovery codes a second-factor document holds.
pub(crate) fn recovery_codes_left_in(document: &Document) -> Result<u32, StorageError> {
    match document.get(field::RECOVERY_CODES) {
        None | Some(Bson::Null) => Ok(0),
        Some(Bson::Array(codes)) => Ok(u32::try_from(codes.len()).unwrap_or(u32::MAX)),
        Some(other) => Err(Fields::new(SECOND_FACTORS, document).corrupt(
            field::RECOVERY_CODES,
            format!("is a {:?}, not an array", other.element_type()),
        )),
    }
}

/// A sign-in halfway as stored in `pending_sign_ins`.
pub(crate) fn pending_document(pending: &PendingSignIn) -> Result<Document, StorageError> {
    let mut document = doc! {
        field::ID: binary(pending.id.as_bytes()),
        field::USER_ID: user_id(pending.user_id),
        field::CREDENTIAL_VERSION: i64::from(pending.credential_version),
        field::REMEMBER: pending.remember,
        field::CREATED_AT: date(pending.created_at)?,
        field::EXPIRES_AT: date(pending.expires_at)?,
    };
    if let Some(return_to) = &pending.return_to {
        document.insert(field::RETURN_TO, return_to.as_str());
    }
    Ok(document)
}

/// Reads a sign-in halfway written by [`pending_document`].
pub(crate) fn pending_from(document: &Document) -> Result<PendingSignIn, StorageError> {
    let fields = Fields::new(PENDING_SIGN_INS, document);
    let id = fields.session_id(field::ID)?;
    Ok(PendingSignIn {
        id: PendingId::from_bytes(*id.as_bytes()),
        user_id: fields.user_id(field::USER_ID)?,
        credential_version: fields.count(field::CREDENTIAL_VERSION)?,
        remember: fields.boolean(field::REMEMBER)?,
        return_to: fields.optional_string(field::RETURN_TO)?,
        created_at: fields.time(field::CREATED_AT)?,
        expires_at: fields.time(field::EXPIRES_AT)?,
    })
}

/// A step as BSON's Int64.
pub(crate) fn step(step: TimeStep) -> Result<i64, StorageError> {
    i64::try_from(step.index()).map_err(StorageError::new)
}

/// Typed reads from one document, with errors naming the field.
struct Fields<'a> {
    collection: &'static str,
    document: &'a Document,
}

impl<'a> Fields<'a> {
    fn new(collection: &'static str, document: &'a Document) -> Self {
        Self {
            collection,
            document,
        }
    }

    fn corrupt(&self, field: &'static str, detail: impl Into<String>) -> StorageError {
        CorruptDocument {
            collection: self.collection,
            field,
            detail: detail.into(),
        }
        .into()
    }

    fn get(&self, field: &'static str) -> Result<&'a Bson, StorageError> {
        self.document
            .get(field)
            .ok_or_else(|| self.corrupt(field, "is missing"))
    }

    fn string(&self, field: &'static str) -> Result<String, StorageError> {
        match self.get(field)? {
            Bson::String(text) => Ok(text.clone()),
            other => Err(self.corrupt(
                field,
                format!("is a {:?}, not a string", other.element_type()),
            )),
        }
    }

    fn binary(
        &self,
        field: &'static str,
        subtype: BinarySubtype,
    ) -> Result<&'a [u8], StorageError> {
        match self.get(field)? {
            Bson::Binary(binary) if binary.subtype == subtype => Ok(&binary.bytes),
            other => Err(self.corrupt(
                field,
                format!("is not a binary of subtype {subtype:?}: {other}"),
            )),
        }
    }

    fn user_id(&self, field: &'static str) -> Result<UserId, StorageError> {
        let bytes = self.binary(field, BinarySubtype::Uuid)?;
        let bytes: [u8; 16] = bytes
            .try_into()
            .map_err(|_| self.corrupt(field, format!("holds {} bytes, not 16", bytes.len())))?;
        Ok(UserId::from_uuid(Uuid::from_bytes(bytes)))
    }

    fn session_id(&self, field: &'static str) -> Result<SessionId, StorageError> {
        let bytes = self.binary(field, BinarySubtype::Generic)?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| self.corrupt(field, format!("holds {} bytes, not 32", bytes.len())))?;
        Ok(SessionId::from_bytes(bytes))
    }

    fn time(&self, field: &'static str) -> Result<OffsetDateTime, StorageError> {
        match self.get(field)? {
            Bson::DateTime(at) => {
                time_from(*at).ok_or_else(|| self.corrupt(field, format!("{at} is out of range")))
            }
            other => Err(self.corrupt(
                field,
                format!("is a {:?}, not a date", other.element_type()),
            )),
        }
    }

    /// A non-negative integer that fits a `u32` (stored as Int32 or Int64).
    fn count(&self, field: &'static str) -> Result<u32, StorageError> {
        let value = match self.get(field)? {
            Bson::Int32(value) => i64::from(*value),
            Bson::Int64(value) => *value,
            other => {
                return Err(self.corrupt(
                    field,
                    format!("is a {:?}, not an integer", other.element_type()),
                ));
            }
        };
        u32::try_from(value).map_err(|_| self.corrupt(field, format!("{value} is not a count")))
    }

    fn boolean(&self, field: &'static str) -> Result<bool, StorageError> {
        match self.get(field)? {
            Bson::Boolean(value) => Ok(*value),
            other => Err(self.corrupt(
                field,
                format!("is a {:?}, not a boolean", other.element_type()),
            )),
        }
    }

    fn optional_boolean(&self, field: &'static str) -> Result<Option<bool>, StorageError> {
        match self.document.get(field) {
            None | Some(Bson::Null) => Ok(None),
            Some(_) => self.boolean(field).map(Some),
        }
    }

    fn optional_string(&self, field: &'static str) -> Result<Option<String>, StorageError> {
        match self.document.get(field) {
            None | Some(Bson::Null) => Ok(None),
            Some(_) => self.string(field).map(Some),
        }
    }

    /// An array of group names, sorted and each once; absent means none.
    /// An array of strings; `None` when the field is absent.
    fn optional_strings(&self, field: &'static str) -> Result<Option<Vec<String>>, StorageError> {
        let items = match self.document.get(field) {
            None | Some(Bson::Null) => return Ok(None),
            Some(Bson::Array(items)) => items,
            Some(other) => {
                return Err(self.corrupt(
                    field,
                    format!("is a {:?}, not an array", other.element_type()),
                ));
            }
        };
        items
            .iter()
            .map(|item| match item {
                Bson::String(item) => Ok(item.clone()),
                other => Err(self.corrupt(
                    field,
                    format!("holds a {:?}, not a string", other.element_type()),
                )),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    fn groups(&self, field: &'static str) -> Result<Vec<GroupName>, StorageError> {
        let names = self.optional_strings(field)?.unwrap_or_default();
        Ok(sorted_groups(
            names.into_iter().map(GroupName::from_stored).collect(),
        ))
    }

    /// A session's proof: its RFC 8176 method names; a session stored
    /// before second factors has none and was proved by a password.
    fn proof(&self, field: &'static str) -> Result<Proof, StorageError> {
        Ok(match self.optional_strings(field)? {
            Some(names) => Proof::from_amr(names.iter().map(String::as_str)),
            None => Proof::PASSWORD,
        })
    }

    fn optional_time(&self, field: &'static str) -> Result<Option<OffsetDateTime>, StorageError> {
        match self.document.get(field) {
            None | Some(Bson::Null) => Ok(None),
            Some(_) => self.time(field).map(Some),
        }
    }
}

fn time_from(at: DateTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.timestamp_millis()) * 1_000_000).ok()
}
