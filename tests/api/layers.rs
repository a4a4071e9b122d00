//! No two top-level modules of src/ import each other, directly or through others: every layer
//! looks only down (routes -> replay -> ingress -> provisioning -> company -> outbox -> store ->
//! ledger -> telnyx/routing -> domain/config). Read from the `crate::NAME` references of the
//! product code (test modules excluded), as the repository's review hook reads them.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if path.is_dir() {
            if name != "tests" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// Top-level module -> the top-level modules its product code names.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = std::fs::read_dir(src)
        .expect("read src")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let stem = path.file_stem()?.to_str()?.to_owned();
            (path.is_dir() || (path.extension()? == "rs" && stem != "lib" && stem != "main")).then_some(stem)
        })
        .collect();
    let reference = regex_lite::Regex::new(r"\bcrate::([a-z_][a-z0-9_]*)").expect("regex");
    let mut edges: BTreeMap<String, BTreeSet<String>> = modules.iter().map(|m| (m.clone(), BTreeSet::new())).collect();
    for module in &modules {
        let mut files = Vec::new();
        let file = src.join(format!("{module}.rs"));
        if file.is_file() {
            files.push(file);
        }
        if src.join(module).is_dir() {
            rust_files(&src.join(module), &mut files);
        }
        for f in files {
            let text = std::fs::read_to_string(&f).expect("read source");
            let product = text.split("#[cfg(test)]").next().unwrap_or_default();
            for c in reference.captures_iter(product) {
                let target = &c[1];
                if target != module && modules.contains(target) {
                    edges.get_mut(module).expect("module").insert(target.to_owned());
                }
            }
        }
    }
    edges
}

/// Modules that reach themselves through others (each cycle's members).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = edges[from].iter().map(String::as_str).collect();
        while let Some(m) = todo.pop() {
            if seen.insert(m.to_owned()) {
                todo.extend(edges[m].iter().map(String::as_str));
            }
        }
        seen
    };
    let reaches: BTreeMap<&str, BTreeSet<String>> = edges.keys().map(|m| (m.as_str(), reach(m))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for (m, r) in &reaches {
        if r.contains(*m) {
            let group: BTreeSet<String> =
                r.iter().filter(|o| reaches[o.as_str()].contains(*m)).cloned().chain([m.to_string()]).collect();
            if !out.contains(&group) {
                out.push(group);
            }
        }
    }
    out
}

#[test]
fn top_level_modules_form_no_cycle() {
    let edges = imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(edges.len() > 10, "expected the crate's modules, found {edges:?}");
    let found = cycles(&edges);
    let described: Vec<String> = found
        .iter()
        .map(|group| {
            let pairs: Vec<String> = group
                .iter()
                .flat_map(|a| edges[a].iter().filter(|b| group.contains(*b)).map(move |b| format!("{a}->{b}")))
                .collect();
            format!("{} ({})", group.iter().cloned().collect::<Vec<_>>().join(", "), pairs.join("; "))
        })
        .collect();
    assert!(found.is_empty(), "top-level modules import each other: {}", described.join(" | "));
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
        ("d".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]
    .into();
    assert_eq!(cycles(&edges), vec![BTreeSet::from(["a".to_owned(), "b".to_owned(), "c".to_owned()])]);
}

/// Company data changes through `company::Directory`, which writes and announces together:
/// nothing else in the product calls the store's writes of company data (the store defines them;
/// `switchboard demo` is a tool that runs beside the daemon and its writes are announced by the
/// database).
#[test]
fn company_data_is_written_only_through_the_directory() {
    let write = regex_lite::Regex::new(
        r"([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*(insert_number|update_number|put_settings|put_routing_defaults|upsert_department|delete_department|upsert_location|delete_location|set_assignment|claim_assignment|delete_assignment|add_opt_out|remove_opt_out|put_limit_overrides|put_status_url|delete_status_url)\(",
    )
    .expect("regex");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        if rel.starts_with("store/") || rel == "company/directory.rs" || rel == "demo.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read source");
        let product = text.split("#[cfg(test)]").next().unwrap_or_default();
        for c in write.captures_iter(product) {
            if &c[1] != "directory" {
                offenders.push(format!("src/{rel}: {}", &c[0]));
            }
        }
    }
    assert!(offenders.is_empty(), "company data written behind the directory's back:\n{}", offenders.join("\n"));
}
