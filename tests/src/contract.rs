//! The repository contract: what any store must do, stated once and run
//! against every backend. A new backend is done when the suite passes on it.
//!
//! A backend's test file names an async factory that returns a fresh, empty
//! store for each case, and invokes [`contract_suite!`](crate::contract_suite)
//! with it:
//!
//! ```
//! use latch_tests::contract::{StoreUnderTest, Unavailable};
//!
//! async fn memory() -> Result<StoreUnderTest, Unavailable> {
//!     Ok(StoreUnderTest::new(latch_memory::MemoryStore::new()))
//! }
//!
//! latch_tests::contract_suite!(memory);
//! # fn main() {}
//! ```
//!
//! The factory returns [`Unavailable`] when the backend's server is not there
//! (say, no `MONGODB_URI`); each case then writes `SKIPPED: <reason>` to
//! stderr, past the test harness's capture, instead of passing silently. With
//! `LATCH_TESTS_NO_SKIP=1` (in CI) a skip fails the case instead. A backend
//! that is configured but broken should panic in its factory: that is a
//! failure, not a skip.

pub mod cases;
mod fixtures;
mod run;
mod store;

pub use run::{NO_SKIP_VARIABLE, run, skip};
pub use store::{ForgetSkeleton, Gap, StoreUnderTest, Unavailable};

/// Expands to one `#[test]` per contract case, each running against a fresh
/// store from `factory` (an async fn or a closure returning a future of
/// `Result<StoreUnderTest, Unavailable>`), so each case reports separately.
#[macro_export]
macro_rules! contract_suite {
    (@cases $factory:expr; $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::contract::run(stringify!($case), $factory, $crate::contract::cases::$case);
            }
        )+
    };
    ($factory:expr $(,)?) => {
        $crate::contract_suite!(@cases $factory;
            a_user_round_trips_by_key_and_by_id,
            unknown_users_are_none,
            a_username_key_is_taken_whatever_its_case,
            concurrent_registrations_of_one_key_let_exactly_one_through,
            an_existing_id_is_refused_and_kept,
            a_look_alike_of_a_stored_name_is_taken,
            concurrent_registrations_of_look_alikes_let_exactly_one_through,
            accounts_stored_without_a_skeleton_still_sign_in,
            record_sign_in_sets_last_login_of_that_user_only,
            set_password_hash_replaces_the_hash_of_that_user_only,
            updating_an_unknown_user_changes_nothing,
            pages_of_users_visit_every_account_once_in_key_order,
            concurrent_sessions_and_sign_ins_of_one_user_all_land,
            a_session_round_trips_with_its_user,
            a_session_reads_its_user_as_it_is_now,
            an_unknown_session_is_none,
            deleting_a_session_reports_whether_it_existed,
            deleting_a_users_sessions_spares_other_users,
            deleting_expired_sessions_spares_live_ones,
            touching_a_session_records_its_last_use_only,
            replacing_a_password_moves_the_credential_version_on,
            of_concurrent_counts_of_one_seen_state_exactly_one_lands,
            a_count_from_a_stale_reading_changes_nothing,
            clearing_failed_sign_ins_starts_the_count_again,
            stale_counts_are_purged_but_those_of_accounts,
            disabling_a_user_sets_its_flag_only,
            deleting_a_user_deletes_its_sessions_only,
            a_users_sessions_are_listed_oldest_first_and_only_theirs,
            deleting_other_sessions_keeps_the_one_named,
            ping_answers,
            a_group_name_is_created_once,
            memberships_need_a_group_and_an_account,
            adding_a_member_twice_adds_it_once,
            an_accounts_groups_come_with_every_read_sorted,
            removing_a_member_ends_that_membership_only,
            deleting_a_group_ends_its_memberships,
            deleting_an_account_ends_its_memberships,
            concurrent_creations_of_one_group_let_exactly_one_through,
            an_authenticator_app_is_pending_until_confirmed_with_its_own_key,
            a_confirmed_app_is_not_replaced_until_removed,
            a_step_is_accepted_only_when_later_than_the_last,
            of_concurrent_acceptances_of_one_step_exactly_one_lands,
            recovery_codes_are_spent_once_and_replaced_as_a_set,
            of_concurrent_spends_of_one_recovery_code_exactly_one_lands,
            deleting_an_account_deletes_its_second_factors,
            a_pending_sign_in_round_trips_and_is_taken_once,
            of_concurrent_takes_of_one_pending_sign_in_exactly_one_lands,
            expired_pending_sign_ins_are_purged_and_live_ones_kept,
            deleting_an_account_deletes_its_pending_sign_ins,
        );
    };
}
