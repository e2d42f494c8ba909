//! Where a sign-in may send people afterwards.

/// The longest `next` target accepted.
const MAX_TARGET_LEN: usize = 2048;

/// Returns `next` when it is a path on this site (`/...`), else `None`.
///
/// Refused: anything not starting with one `/` (absolute URLs, `//host`,
/// `javascript:`), backslashes (browsers read `/\host` as `//host`), and
/// control or space characters (browsers drop tabs and newlines, which could
/// turn `/\t/host` into `//host`).
pub fn safe_redirect_target(next: &str) -> Option<&str> {
    let mut chars = next.chars();
    let starts_with_one_slash = chars.next() == Some('/') && chars.next() != Some('/');
    let clean = next
        .chars()
        .all(|c| c != '\\' && !c.is_control() && !c.is_whitespace());
    (starts_with_one_slash && clean && next.len() <= MAX_TARGET_LEN).then_some(next)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn local_paths_are_kept() {
        for good in [
            "/",
            "/account",
            "/account?tab=1#top",
            "/a/b/c",
            "/%2F%2Fevil.example",
        ] {
            assert_eq!(safe_redirect_target(good), Some(good), "{good}");
        }
    }

    #[test]
    fn anything_that_could_leave_the_site_is_refused() {
        for bad in [
            "",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "%2F%2Fevil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/\n/evil.example",
            "account",
            " /account",
        ] {
            assert_eq!(safe_redirect_target(bad), None, "{bad:?}");
        }
        assert_eq!(
            safe_redirect_target(&format!("/{}", "a".repeat(3000))),
            None
        );
    }

    proptest! {
        #[test]
        fn accepted_targets_are_always_local(next in "\\PC{0,30}|/[\\PC\\s\\\\]{0,30}") {
            if let Some(target) = safe_redirect_target(&next) {
                prop_assert!(target.starts_with('/'));
                prop_assert!(!target.starts_with("//"));
                prop_assert!(!target.contains('\\'));
                prop_assert!(!target.chars().any(char::is_whitespace));
            }
        }
    }
}
