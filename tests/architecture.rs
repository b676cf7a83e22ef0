//! The arrows of ARCHITECTURE.md, checked on the source: `core` uses
//! nothing of `input`, `report` or `replay`; no two modules (files) use
//! each other, directly or round a longer circle; and the areas (`core`,
//! `input`, `report`, `replay`, `simulate`, ...) form no circle either.
//!
//! "Uses" means a `crate::` or `super::` path in the code of a module,
//! outside comments and its `#[cfg(test)]` part, resolved through the
//! `pub use` re-exports of `mod.rs` files to the file that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// A module as its path below `src/`, `["core", "engine"]`; the crate
/// root is `[]`.
type Module = Vec<String>;

/// Every module of `src/` (the binary's `main.rs` aside: it may use
/// everything) and its source.
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let mut module = prefix.to_vec();
            if path.is_dir() {
                module.push(name);
                walk(&path, &module, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if name == "main" && prefix.is_empty() {
                    continue;
                }
                if name != "mod" && !(name == "lib" && prefix.is_empty()) {
                    module.push(name);
                }
                out.insert(module, fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The code of a module without its tests and comment lines.
fn code(source: &str) -> String {
    let before_tests = source.split("#[cfg(test)]").next().unwrap_or("");
    before_tests
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths after each `crate::` or `super::` in `code`, a `{a, b::c}`
/// group giving one path per item.
fn paths(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut found = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_ident(chars[i - 1]);
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        let from_crate = rest.starts_with("crate::");
        let from_super = rest.starts_with("super::");
        if !starts_word || !(from_crate || from_super) {
            i += 1;
            continue;
        }
        i += "crate::".len();
        let mut segments = Vec::new();
        loop {
            let start = i;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
            if i > start {
                segments.push(chars[start..i].iter().collect::<String>());
            }
            if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
                i += 2;
                if chars.get(i) == Some(&'{') {
                    // One path per item of the group (its first segment).
                    let mut depth = 0;
                    let mut item = String::new();
                    while i < chars.len() {
                        let c = chars[i];
                        i += 1;
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        if depth == 0 || (depth == 1 && c == ',') {
                            let first: String = item
                                .trim_start_matches(['{', ',', ' ', '\n'])
                                .chars()
                                .take_while(|c| is_ident(*c))
                                .collect();
                            if !first.is_empty() {
                                let mut path = segments.clone();
                                if first != "self" {
                                    path.push(first);
                                }
                                found.push((from_super, path));
                            }
                            item.clear();
                            if depth == 0 {
                                break;
                            }
                        } else {
                            item.push(c);
                        }
                    }
                    segments.clear();
                    break;
                }
                continue;
            }
            break;
        }
        if !segments.is_empty() {
            found.push((from_super, segments));
        }
    }
    found
}

/// `pub use sub::{A, B}` and `pub use sub::A` lines of each module: the
/// name re-exported, and the sub-module it comes from.
fn re_exports(modules: &BTreeMap<Module, String>) -> BTreeMap<Module, Module> {
    let mut out = BTreeMap::new();
    for (module, source) in modules {
        for line in code(source).lines() {
            let Some(rest) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            let Some((sub, names)) = rest.trim_end_matches(';').split_once("::") else {
                continue;
            };
            let mut from = module.clone();
            from.push(sub.to_owned());
            for name in names.trim_matches(['{', '}']).split(',') {
                let name = name.split(" as ").last().unwrap_or("").trim();
                if !name.is_empty() {
                    let mut exported = module.clone();
                    exported.push(name.to_owned());
                    out.insert(exported, from.clone());
                }
            }
        }
    }
    out
}

/// The module that `path` names: its longest prefix that is a module,
/// through a re-export when the next segment is one.
fn resolve(
    path: &[String],
    modules: &BTreeMap<Module, String>,
    exports: &BTreeMap<Module, Module>,
) -> Option<Module> {
    (1..=path.len()).rev().find_map(|len| {
        let prefix = path[..len].to_vec();
        if !modules.contains_key(&prefix) {
            return None;
        }
        if let Some(next) = path.get(len) {
            let mut exported = prefix.clone();
            exported.push(next.clone());
            if let Some(from) = exports.get(&exported) {
                return Some(from.clone());
            }
        }
        Some(prefix)
    })
}

/// Which modules each module uses (itself and the crate root aside).
fn uses() -> BTreeMap<Module, BTreeSet<Module>> {
    let modules = modules();
    let exports = re_exports(&modules);
    let mut graph = BTreeMap::new();
    for (module, source) in &modules {
        let parent = &module[..module.len().saturating_sub(1)];
        let mut used = BTreeSet::new();
        for (from_super, path) in paths(&code(source)) {
            let mut full: Vec<String> = if from_super {
                parent.to_vec()
            } else {
                Vec::new()
            };
            full.extend(path);
            if let Some(target) = resolve(&full, &modules, &exports) {
                if !target.is_empty() && &target != module {
                    used.insert(target);
                }
            }
        }
        graph.insert(module.clone(), used);
    }
    graph
}

/// A circle in `graph`, if there is one, as the nodes round it.
fn find_circle<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        node: &N,
        graph: &BTreeMap<N, BTreeSet<N>>,
        done: &mut BTreeSet<N>,
        stack: &mut Vec<N>,
    ) -> Option<Vec<N>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.clone());
            return Some(circle);
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, done, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

fn show(module: &Module) -> String {
    module.join("::")
}

#[test]
fn core_uses_nothing_of_the_edges() {
    let mut wrong = Vec::new();
    for (module, used) in uses() {
        if module.first().map(String::as_str) != Some("core") {
            continue;
        }
        for target in used {
            if target.first().map(String::as_str) != Some("core") {
                wrong.push(format!("{} uses {}", show(&module), show(&target)));
            }
        }
    }
    assert!(wrong.is_empty(), "core must stay pure: {wrong:#?}");
}

/// The arrows of ARCHITECTURE.md that must never exist between the
/// edges: a report is fed entries and does not know who feeds it, and
/// reading input knows nothing of reports.
#[test]
fn the_edges_keep_to_their_side() {
    let forbidden = [
        ("report", "replay"),
        ("report", "simulate"),
        ("input", "report"),
        ("input", "replay"),
    ];
    let mut wrong = Vec::new();
    for (module, used) in uses() {
        for target in used {
            let arrow = (module[0].as_str(), target[0].as_str());
            if forbidden.contains(&arrow) {
                wrong.push(format!("{} uses {}", show(&module), show(&target)));
            }
        }
    }
    assert!(wrong.is_empty(), "arrows that must not exist: {wrong:#?}");
}

#[test]
fn no_two_modules_use_each_other() {
    let graph = uses();
    let circle = find_circle(&graph).map(|c| c.iter().map(show).collect::<Vec<_>>());
    assert_eq!(circle, None, "a circle of modules");
}

#[test]
fn the_areas_form_no_circle() {
    let mut areas: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, used) in uses() {
        let Some(area) = module.first() else { continue };
        let entry = areas.entry(area.clone()).or_default();
        for target in used {
            if target[0] != *area {
                entry.insert(target[0].clone());
            }
        }
    }
    assert_eq!(find_circle(&areas), None, "a circle of areas");
    // The checks themselves can fail: the expected arrows are there.
    assert!(areas["replay"].contains("core") && areas["input"].contains("core"));
}

#[test]
fn the_checker_sees_circles() {
    let source = "use super::b::X;\nuse crate::c::{d::Y, self};\n// use crate::z;\n";
    let found = paths(&code(source));
    let names: Vec<String> = found.iter().map(|(_, p)| p.join("::")).collect();
    assert_eq!(names, ["b::X", "c::d", "c"]);
    let mut graph = BTreeMap::new();
    graph.insert("a", BTreeSet::from(["b"]));
    graph.insert("b", BTreeSet::from(["a"]));
    assert_eq!(find_circle(&graph), Some(vec!["a", "b", "a"]));
}
