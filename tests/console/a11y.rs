//! What every console page is checked for, in the browser: axe-core (from npm, injected) finds no
//! WCAG 2.x A/AA violation; no form field without a label; the keyboard alone reaches every link,
//! button and field of the page, with a visible focus; at 375 px nothing scrolls sideways.
use serde_json::Value;

use crate::browser::Browser;

/// axe.min.js from the npm cache scripts/install-chromium.sh fills (never from the repository).
pub fn axe_source() -> Option<String> {
    let dir = std::env::var("AXE_CORE_DIR")
        .unwrap_or_else(|_| format!("{}/.cache/switchboard/axe-core", std::env::var("HOME").unwrap_or_default()));
    std::fs::read_to_string(format!("{dir}/node_modules/axe-core/axe.min.js")).ok()
}

pub async fn axe_finds_nothing(b: &Browser, axe: &str, page: &str) {
    b.client.execute(&format!("{axe}\n;return true;"), vec![]).await.expect("inject axe-core");
    let result = b
        .js_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.html)}))))
               .catch(e => done([{id: 'axe-error', help: String(e)}]));",
        )
        .await;
    let violations = result.as_array().cloned().unwrap_or_default();
    assert!(violations.is_empty(), "{page}: axe-core found WCAG A/AA violations: {}", Value::Array(violations));
}

/// Every visible input, select and textarea has a label (a `<label for>`, a wrapping label, or
/// aria-label/aria-labelledby).
pub async fn every_field_is_labelled(b: &Browser, page: &str) {
    let unlabelled = b
        .js("return [...document.querySelectorAll('input, select, textarea')]
               .filter(e => e.type !== 'hidden')
               .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
               .map(e => e.outerHTML);")
        .await;
    assert_eq!(unlabelled, Value::Array(vec![]), "{page}: fields without a label");
}

/// Tabs through the whole page from the top: every focusable control is reached, and each one
/// focused shows an outline.
pub async fn keyboard_reaches_every_control(b: &Browser, page: &str) {
    let controls = b
        .js("const all = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')];
             all.forEach((e, i) => e.setAttribute('data-kb', String(i)));
             return all.filter(e => e.checkVisibility({checkVisibilityCSS: true}) && !e.disabled).map(e => e.getAttribute('data-kb'));")
        .await;
    let wanted: Vec<String> =
        controls.as_array().expect("controls").iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect();
    // The first Tab of a page lands on its first control (the skip link): start there.
    let first = wanted.first().expect("a page has controls");
    b.js(&format!("document.querySelector('[data-kb=\"{first}\"]').focus(); return true;")).await;
    let mut reached = std::collections::BTreeSet::from([first.clone()]);
    for _ in 0..(wanted.len() * 2 + 5) {
        let active = b.client.active_element().await.expect("active element");
        active.send_keys("\u{e004}").await.expect("Tab");
        let now = b
            .js("const e = document.activeElement;
                 if (!e || e === document.body) return null;
                 const s = getComputedStyle(e);
                 return [e.getAttribute('data-kb'), s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, e.outerHTML.slice(0, 120)];")
            .await;
        if now.is_null() {
            continue;
        }
        let (id, outlined, html) =
            (now[0].as_str().unwrap_or_default(), now[1].as_bool(), now[2].as_str().unwrap_or(""));
        assert_eq!(outlined, Some(true), "{page}: the keyboard focus is not visible on {html}");
        if !reached.insert(id.to_owned()) && reached.len() >= wanted.len() {
            break;
        }
    }
    let missed: Vec<&String> = wanted.iter().filter(|w| !reached.contains(*w)).collect();
    assert!(missed.is_empty(), "{page}: Tab never reached controls {missed:?} of {}", wanted.len());
}

/// At the browser's width, nothing makes the page scroll sideways.
pub async fn no_sideways_scroll(b: &Browser, page: &str) {
    let v = b.js("return [document.documentElement.scrollWidth, window.innerWidth];").await;
    let (scroll, inner) = (v[0].as_f64().unwrap_or(0.0), v[1].as_f64().unwrap_or(0.0));
    assert!(inner > 0.0 && scroll <= inner, "{page}: scrollWidth {scroll} > innerWidth {inner}");
}
