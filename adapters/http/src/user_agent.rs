//! A user agent, as people name it: "Firefox on Linux". The account pages
//! and the operator's `latch user sessions` show sessions by it.

/// Browsers by a token of their user agent, most specific first (Edge and
/// Opera also say Chrome; Chrome also says Safari).
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("Version/", "Safari"),
];

/// Systems by a token of their user agent, most specific first (Android
/// also says Linux; iOS also says Mac OS X).
const SYSTEMS: &[(&str, &str)] = &[
    ("Windows", "Windows"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

/// The longest program name taken from an unknown user agent.
const MAX_PROGRAM_CHARS: usize = 40;

/// Names the browser and system behind a `User-Agent` header ("Firefox on
/// Linux"); for a program that is not a browser (`curl/8.5.0`), its own
/// name ("curl"); for none, "Unknown browser".
pub fn browser_name(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.map(str::trim).filter(|agent| !agent.is_empty()) else {
        return "Unknown browser".to_owned();
    };
    let browser = BROWSERS
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map(|(_, name)| (*name).to_owned());
    let system = SYSTEMS
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map(|(_, name)| *name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser,
        (None, _) => program_name(agent),
    }
}

/// The first product token of a user agent, without its version.
fn program_name(agent: &str) -> String {
    agent
        .split(['/', ' '])
        .next()
        .unwrap_or(agent)
        .chars()
        .take(MAX_PROGRAM_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::browser_name;

    #[test]
    fn names_common_browsers_and_systems() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
        ];
        for (agent, expected) in cases {
            assert_eq!(browser_name(Some(agent)), expected, "{agent}");
        }
    }

    #[test]
    fn names_other_programs_by_their_first_token() {
        assert_eq!(browser_name(Some("curl/8.5.0")), "curl");
        assert_eq!(browser_name(Some("  ")), "Unknown browser");
        assert_eq!(browser_name(None), "Unknown browser");
        let long = "x".repeat(500);
        assert_eq!(browser_name(Some(&long)).chars().count(), 40);
    }
}
