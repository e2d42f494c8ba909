//! The HTML pages' templates: minijinja, in Jinja syntax (like the Flask
//! tutorial Latch grew from), embedded in the binary, compiled once at
//! start, autoescaped; and the static assets they link to.

use std::sync::Arc;

use minijinja::{Environment, Value, context};

use super::views::{Asset, Page, PageContext, RenderError};

/// Every template, by name, as embedded in the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    (
        "form_errors.html",
        include_str!("../../templates/form_errors.html"),
    ),
    ("home.html", include_str!("../../templates/home.html")),
    (
        "register.html",
        include_str!("../../templates/register.html"),
    ),
    ("login.html", include_str!("../../templates/login.html")),
    (
        "login_second_factor.html",
        include_str!("../../templates/login_second_factor.html"),
    ),
    ("logout.html", include_str!("../../templates/logout.html")),
    ("account.html", include_str!("../../templates/account.html")),
    (
        "account_password.html",
        include_str!("../../templates/account_password.html"),
    ),
    (
        "account_sessions.html",
        include_str!("../../templates/account_sessions.html"),
    ),
    (
        "account_security.html",
        include_str!("../../templates/account_security.html"),
    ),
    (
        "account_delete.html",
        include_str!("../../templates/account_delete.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
];

/// The compiled templates (cheap to clone: they are shared).
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
}

impl Templates {
    /// Compiles every embedded template; fails only if a template has a
    /// syntax error, which a test catches before release.
    pub fn new() -> Result<Self, RenderError> {
        let mut env = Environment::new();
        // Names end in `.html`, so minijinja's default escapes every value
        // for HTML; the check below keeps it that way.
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(to_render_error)?;
        }
        Ok(Self { env: Arc::new(env) })
    }

    /// Renders one page within the common layout.
    pub(crate) fn render(
        &self,
        page: &Page<'_>,
        ctx: &PageContext<'_>,
    ) -> Result<String, RenderError> {
        let ctx = Value::from_serialize(ctx);
        let (name, data) = match page {
            Page::Home => ("home.html", context! { ctx }),
            Page::Register(form) => ("register.html", context! { ctx, form }),
            Page::Login(form) => ("login.html", context! { ctx, form }),
            Page::SecondStep(step) => ("login_second_factor.html", context! { ctx, step }),
            Page::LogoutConfirm(next) => ("logout.html", context! { ctx, next }),
            Page::Account(account) => ("account.html", context! { ctx, account }),
            Page::ChangePassword(form) => ("account_password.html", context! { ctx, form }),
            Page::Sessions(list) => ("account_sessions.html", context! { ctx, list }),
            Page::Security(security) => ("account_security.html", context! { ctx, security }),
            Page::DeleteAccount(form) => ("account_delete.html", context! { ctx, form }),
            Page::Error(error) => ("error.html", context! { ctx, error }),
        };
        self.env
            .get_template(name)
            .and_then(|template| template.render(data))
            .map_err(to_render_error)
    }

    /// A static asset (`latch.css`, `favicon.svg`...) by file name.
    pub(crate) fn asset(&self, name: &str) -> Option<Asset> {
        match name {
            "latch.css" => Some(Asset {
                content_type: "text/css; charset=utf-8",
                body: include_bytes!("../../assets/latch.css"),
            }),
            "latch.js" => Some(Asset {
                content_type: "text/javascript; charset=utf-8",
                body: include_bytes!("../../assets/latch.js"),
            }),
            "favicon.svg" => Some(Asset {
                content_type: "image/svg+xml",
                body: include_bytes!("../../assets/favicon.svg"),
            }),
            _ => None,
        }
    }
}

fn to_render_error(error: minijinja::Error) -> RenderError {
    RenderError(format!("{error:#}"))
}

#[cfg(test)]
mod tests {
    use crate::pages::views::{
        AccountView, DeleteAccountView, ErrorView, FieldErrors, FormView, NewAppView,
        PasswordChangeView, SecondStepView, SecurityView, SessionView, SessionsView, TimeView,
    };

    use super::*;

    fn ctx<'a>(user: Option<&'a str>) -> PageContext<'a> {
        PageContext {
            user,
            csrf_token: "token-123",
            flash: None,
        }
    }

    fn render(page: Page<'_>, user: Option<&str>) -> String {
        Templates::new().unwrap().render(&page, &ctx(user)).unwrap()
    }

    #[test]
    fn every_page_renders() {
        let form = FormView::default();
        let account = AccountView {
            username: "alice".into(),
            created_at: TimeView {
                iso: "2026-01-02T03:04:05Z".into(),
                text: "2 January 2026, 03:04 UTC".into(),
            },
            last_login_at: None,
            groups: vec![],
        };
        let error = ErrorView {
            status: 404,
            title: "Page not found",
            detail: "There is nothing here.",
        };
        let password = PasswordChangeView::default();
        let sessions = SessionsView {
            sessions: vec![],
            error: None,
        };
        let delete = DeleteAccountView::default();
        let second_step = SecondStepView::default();
        let security_states = [
            SecurityView::default(),
            SecurityView {
                available: true,
                ..SecurityView::default()
            },
            SecurityView {
                new_app: Some(NewAppView {
                    qr_svg: "<svg></svg>".into(),
                    key: "ABCD EFGH".into(),
                }),
                code_error: Some("wrong".into()),
                ..SecurityView::default()
            },
            SecurityView {
                app_since: Some(TimeView {
                    iso: "2026-01-02T03:04:05Z".into(),
                    text: "2 January 2026, 03:04 UTC".into(),
                }),
                recovery_codes_left: 9,
                new_codes: Some(vec!["AAAA-BBBB-CCCC-DDDD".into()]),
                codes_download: Some("data:text/plain,AAAA".into()),
                password_error: Some("wrong".into()),
                ..SecurityView::default()
            },
        ];
        for security in &security_states {
            let html = render(Page::Security(security), Some("alice"));
            assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        }
        for page in [
            Page::SecondStep(&second_step),
            Page::Home,
            Page::Register(&form),
            Page::Login(&form),
            Page::LogoutConfirm(Some("https://app.example.com/")),
            Page::Account(&account),
            Page::ChangePassword(&password),
            Page::Sessions(&sessions),
            Page::DeleteAccount(&delete),
            Page::Error(&error),
        ] {
            let html = render(page, Some("alice"));
            assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        }
    }

    #[test]
    fn the_account_page_lists_its_groups_or_says_none() {
        let account = |groups: Vec<String>| AccountView {
            username: "alice".into(),
            created_at: TimeView {
                iso: "2026-01-02T03:04:05Z".into(),
                text: "2 January 2026, 03:04 UTC".into(),
            },
            last_login_at: None,
            groups,
        };
        let none = render(Page::Account(&account(vec![])), Some("alice"));
        assert!(none.contains("<dt>Groups</dt>\n  <dd>none</dd>"), "{none}");
        let two = account(vec!["admins".into(), "ops".into()]);
        let html = render(Page::Account(&two), Some("alice"));
        assert!(
            html.contains(
                r#"<span class="group">admins</span>, <span class="group">ops</span></dd>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn sessions_page_marks_this_browser_and_offers_to_end_the_others() {
        let at = || TimeView {
            iso: "2026-01-02T03:04:05Z".into(),
            text: "2 January 2026, 03:04 UTC".into(),
        };
        let session = |id: &str, current| SessionView {
            id: id.into(),
            created_at: at(),
            last_seen_at: at(),
            browser: "Firefox on Linux".into(),
            user_agent: Some("<b>agent</b>".into()),
            client_ip: None,
            proof: "password and code",
            current,
        };
        let list = SessionsView {
            sessions: vec![session("aaaa", true), session("bbbb", false)],
            error: None,
        };
        let html = render(Page::Sessions(&list), Some("alice"));
        assert_eq!(html.matches("(this browser)").count(), 1, "{html}");
        assert!(html.contains(r#"name="session" value="bbbb""#), "{html}");
        assert!(!html.contains(r#"name="session" value="aaaa""#), "{html}");
        assert!(html.contains("Sign out everywhere else"), "{html}");
        assert!(
            !html.contains("<b>agent"),
            "the user agent is escaped: {html}"
        );
    }

    #[test]
    fn home_says_whether_someone_is_signed_in() {
        assert!(render(Page::Home, None).contains("You are not logged in"));
        let signed_in = render(Page::Home, Some("alice"));
        assert!(signed_in.contains("You are logged in"));
        assert!(signed_in.contains("alice"));
    }

    #[test]
    fn forms_carry_the_csrf_token_and_the_tutorial_fields() {
        let form = FormView::default();
        for page in [Page::Register(&form), Page::Login(&form)] {
            let html = render(page, None);
            assert!(html.contains(r#"name="csrf_token" value="token-123""#));
            assert!(html.contains(r#"name="username""#));
            assert!(html.contains(r#"name="password""#));
        }
    }

    #[test]
    fn values_are_escaped() {
        let form = FormView {
            username: "<script>alert(1)</script>".into(),
            errors: FieldErrors {
                username: Some("<b>bad</b>".into()),
                ..FieldErrors::default()
            },
            ..FormView::default()
        };
        let html = render(Page::Register(&form), Some("<img src=x>"));
        assert!(!html.contains("<script>alert(1)"));
        assert!(!html.contains("<b>bad</b>"));
        assert!(!html.contains("<img src=x>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn pages_use_no_inline_script_or_style() {
        let form = FormView::default();
        for page in [Page::Home, Page::Login(&form), Page::Register(&form)] {
            let html = render(page, Some("alice"));
            let scripts: Vec<&str> = html.split("<script").skip(1).collect();
            assert_eq!(scripts.len(), 1, "one script, from /static: {html}");
            assert!(scripts[0].starts_with(r#" src="/static/latch.js" defer></script>"#));
            assert!(!html.contains("<style"));
            assert!(!html.contains("style="));
            let handler = html.split(" on").skip(1).find(|rest| {
                let name = rest.trim_start_matches(|c: char| c.is_ascii_lowercase());
                name.len() < rest.len() && name.starts_with('=')
            });
            assert_eq!(handler, None, "no inline event handlers: {html}");
        }
    }

    #[test]
    fn password_fields_have_a_show_password_toggle_hidden_until_the_script_runs() {
        let form = FormView::default();
        for page in [Page::Login(&form), Page::Register(&form)] {
            let html = render(page, None);
            assert!(html.contains(r#"<div class="password-toggle" hidden>"#));
            assert!(html.contains(r#"data-reveals="password""#));
            assert!(html.contains(r#"<label for="show-password">Show password</label>"#));
        }
    }

    #[test]
    fn assets_are_served_by_name() {
        let templates = Templates::new().unwrap();
        assert!(templates.asset("latch.css").is_some());
        assert!(templates.asset("favicon.svg").is_some());
        let script = templates.asset("latch.js").unwrap();
        assert!(script.content_type.starts_with("text/javascript"));
        assert!(templates.asset("../Cargo.toml").is_none());
    }
}
