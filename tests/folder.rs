//! A report folder always holds one whole run: concurrent runs, runs killed
//! at several points, a full disk, and the manifest's hashes.

mod common;

use common::{creditsim, fixtures, REPORTS};
use creditsim::report::manifest::hash_file;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `rows` subscriptions of distinct accounts, one a second from
/// 2025-07-01: a run that takes a while when `rows` is large.
fn write_events(path: &Path, rows: u32) {
    let mut text = String::from("time,account,event,plan,provider,operation,task,credits\n");
    for i in 0..rows {
        let (day, rest) = (1 + i / 86_400, i % 86_400);
        let (h, m, s) = (rest / 3600, rest / 60 % 60, rest % 60);
        text.push_str(&format!(
            "2025-07-{day:02}T{h:02}:{m:02}:{s:02}Z,acct-{i},subscribe,pro,,,,\n"
        ));
    }
    fs::write(path, text).unwrap();
}

/// A working folder with plans.csv, small.csv (3 rows) and big.csv.
fn workspace(big_rows: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        fixtures().join("plans.example.csv"),
        dir.path().join("plans.csv"),
    )
    .unwrap();
    write_events(&dir.path().join("small.csv"), 3);
    write_events(&dir.path().join("big.csv"), big_rows);
    dir
}

fn replay_args(out: &str, events: &str) -> Vec<String> {
    ["replay", "--plans", "plans.csv", "--out", out, events]
        .map(String::from)
        .to_vec()
}

/// Starts a replay with standard error piped; `pause` sets the test hook.
fn spawn(dir: &Path, args: &[String], pause: Option<&str>) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_creditsim"));
    command
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(point) = pause {
        command.env("CREDITSIM_TEST_PAUSE", point);
    }
    command.spawn().expect("the creditsim binary runs")
}

/// Waits until a run started with `pause` says it has paused.
fn wait_paused(child: &mut Child, point: &str) {
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, format!("creditsim: paused before {point}\n"));
}

fn staging_folders(out: &Path) -> Vec<PathBuf> {
    fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".creditsim-run-")
        })
        .collect()
}

/// Checks that `out` holds exactly the set its manifest lists, with the
/// listed sizes, line counts and hashes, and no staging folder; returns the
/// manifest.
fn check_against_manifest(out: &Path) -> Value {
    let manifest: Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).expect("a manifest")).unwrap();
    let mut listed = Vec::new();
    for file in manifest["files"].as_array().unwrap() {
        let name = file["path"].as_str().unwrap();
        // Absolute: outside the folder, such as a --journal elsewhere.
        let record = hash_file(&out.join(name), name).unwrap();
        assert_eq!(file["size"], record.size, "{name}");
        assert_eq!(file["lines"], record.lines, "{name}");
        assert_eq!(file["xxh3_64"], record.xxh3_64.as_str(), "{name}");
        if !Path::new(name).is_absolute() {
            listed.push(name.to_owned());
        }
    }
    let mut present: Vec<String> = common::files_left(out)
        .into_iter()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n != "manifest.json" && n != "notes.txt")
        .filter(|n| !n.starts_with(".creditsim-run-"))
        .collect();
    present.sort();
    listed.sort();
    assert_eq!(present, listed, "the folder holds exactly the listed set");
    manifest
}

/// Every file's bytes, by name (staging folders aside).
fn snapshot(out: &Path) -> BTreeMap<String, Vec<u8>> {
    common::files_left(out)
        .into_iter()
        .filter(|n| !n.to_string_lossy().starts_with(".creditsim-run-"))
        .map(|n| {
            let bytes = fs::read(out.join(&n)).unwrap_or_default();
            (n.to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

#[test]
fn the_manifest_describes_the_run_and_its_hashes_match_the_files() {
    let work = workspace(0);
    let events = fixtures().join("seed_rules/events.csv");
    let output = creditsim(
        work.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--out",
            "cc",
            "--journal",
            "cc/books.journal",
            events.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let manifest = check_against_manifest(&work.path().join("cc"));
    assert_eq!(manifest["creditsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["arguments"][0], "replay");
    assert_eq!(manifest["arguments"][6], "cc/books.journal");
    assert_eq!(manifest["inputs"][0]["path"], "plans.csv");
    assert_eq!(manifest["inputs"][0]["size"], 87);
    assert_eq!(manifest["inputs"][1]["size"], 1455);
    // Inputs are hashed beside the reports when the run commits; each
    // hash is still that of its own file.
    let plans_hash = hash_file(&work.path().join("plans.csv"), "").unwrap();
    assert_eq!(
        manifest["inputs"][0]["xxh3_64"],
        plans_hash.xxh3_64.as_str()
    );
    let events_hash = hash_file(&events, "").unwrap();
    assert_eq!(
        manifest["inputs"][1]["xxh3_64"],
        events_hash.xxh3_64.as_str()
    );
    // fixtures/seed_rules: 27 rows, 24 accepted, 3 rejected, 2 accounts.
    assert_eq!(
        manifest["counts"],
        serde_json::json!({"rows": 27, "accepted": 24, "rejected": 3, "skipped": 0, "accounts": 2})
    );
    let names: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"books.journal"));
    for report in REPORTS {
        assert!(names.contains(&report), "{report} listed");
    }
}

#[test]
fn a_journal_outside_out_is_published_with_the_set_and_listed() {
    let work = workspace(0);
    let output = creditsim(
        work.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--out",
            "cc",
            "--journal",
            "books/july.journal",
            "small.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let manifest = check_against_manifest(&work.path().join("cc"));
    let journal = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("/books/july.journal"))
        .expect("the journal is listed");
    let record = hash_file(&work.path().join("books/july.journal"), "").unwrap();
    assert_eq!(journal["xxh3_64"], record.xxh3_64.as_str());
    assert!(staging_folders(&work.path().join("books")).is_empty());
}

#[test]
fn a_journal_over_the_manifest_is_refused() {
    let work = workspace(0);
    fs::create_dir(work.path().join("cc")).unwrap();
    let output = creditsim(
        work.path(),
        &[
            "replay",
            "--plans",
            "plans.csv",
            "--out",
            "cc",
            "--journal",
            "cc/manifest.json",
            "small.csv",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: --journal cc/manifest.json: would overwrite a report of --out\n"
    );
}

#[test]
fn a_second_run_into_a_folder_being_written_fails_at_once_with_the_pid() {
    let work = workspace(0);
    let mut first = spawn(work.path(), &replay_args("cc", "small.csv"), Some("commit"));
    wait_paused(&mut first, "commit");
    let second = creditsim(work.path(), &replay_args("cc", "small.csv"));
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&second.stderr),
        format!(
            "error: cc: another creditsim run is writing here (pid {})\n",
            first.id()
        )
    );
    first.kill().unwrap();
    first.wait().unwrap();
    // The lock died with the process: the next run goes through.
    let third = creditsim(work.path(), &replay_args("cc", "small.csv"));
    assert_eq!(third.status.code(), Some(0));
    check_against_manifest(&work.path().join("cc"));
}

#[test]
fn two_concurrent_replays_leave_exactly_one_runs_set() {
    let work = workspace(60_000);
    for round in 0..3 {
        let out = format!("cc{round}");
        let big_args = replay_args(&out, "big.csv");
        let small_args = replay_args(&out, "small.csv");
        let (first, second) = if round % 2 == 0 {
            (&big_args, &small_args)
        } else {
            (&small_args, &big_args)
        };
        let a = spawn(work.path(), first, None);
        let b = spawn(work.path(), second, None);
        let (a_pid, b_pid) = (a.id(), b.id());
        let a = a.wait_with_output().unwrap();
        let b = b.wait_with_output().unwrap();
        let manifest = check_against_manifest(&work.path().join(&out));
        let mut winners = Vec::new();
        for (output, args, other) in [(&a, first, b_pid), (&b, second, a_pid)] {
            match output.status.code() {
                Some(0) => winners.push(args.clone()),
                Some(1) => assert_eq!(
                    String::from_utf8_lossy(&output.stderr),
                    format!("error: {out}: another creditsim run is writing here (pid {other})\n")
                ),
                code => panic!("exit {code:?}: {}", String::from_utf8_lossy(&output.stderr)),
            }
        }
        // Both may succeed when one ended before the other locked; the
        // folder then holds the later one's set, which the manifest names.
        assert!(!winners.is_empty());
        let named: Vec<String> = manifest["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        assert!(
            winners.contains(&named),
            "the manifest names a run that succeeded"
        );
        let rows = if named.contains(&"big.csv".to_owned()) {
            60_000
        } else {
            3
        };
        assert_eq!(manifest["counts"]["rows"], rows);
    }
}

#[test]
fn a_run_killed_at_any_point_keeps_the_old_set_or_no_manifest_and_the_next_run_cleans_up() {
    let work = workspace(60_000);
    for point in ["write", "commit", "rename", "manifest"] {
        let out = work.path().join(format!("cc-{point}"));
        let out_name = format!("cc-{point}");
        let old = creditsim(work.path(), &replay_args(&out_name, "small.csv"));
        assert_eq!(old.status.code(), Some(0));
        // Not the run's: a killed run and its cleanup must not touch it.
        fs::write(out.join("notes.txt"), "mine").unwrap();
        check_against_manifest(&out);
        let before = snapshot(&out);
        let pause = (point != "write").then_some(point);
        let mut run = spawn(work.path(), &replay_args(&out_name, "big.csv"), pause);
        if point == "write" {
            // Killed while the ledger is being written.
            wait_until(|| {
                staging_folders(&out)
                    .iter()
                    .any(|s| fs::metadata(s.join("ledger.csv")).is_ok_and(|m| m.len() > 0))
            });
        } else {
            wait_paused(&mut run, point);
        }
        run.kill().unwrap();
        run.wait().unwrap();
        assert_eq!(
            staging_folders(&out).len(),
            1,
            "{point}: the dead run's staging folder"
        );
        if point == "write" || point == "commit" {
            assert_eq!(snapshot(&out), before, "{point}: the old set is untouched");
        } else {
            assert!(
                !out.join("manifest.json").exists(),
                "{point}: a half-published set has no manifest"
            );
        }
        let next = creditsim(work.path(), &replay_args(&out_name, "small.csv"));
        assert_eq!(next.status.code(), Some(0), "{point}");
        assert!(staging_folders(&out).is_empty(), "{point}: cleaned up");
        check_against_manifest(&out);
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    }
}

/// Polls `ready` for up to a minute.
fn wait_until(ready: impl Fn() -> bool) {
    for _ in 0..6000 {
        if ready() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("timed out");
}

/// A small tmpfs mounted over a fresh folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_fails_cleanly_and_keeps_the_old_set() {
    let Some(disk) = SmallDisk::mount("512k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root and mount)");
        return;
    };
    let work = workspace(30_000);
    let out = disk.dir.path().join("cc");
    let out_name = out.to_str().unwrap();
    let old = creditsim(work.path(), &replay_args(out_name, "small.csv"));
    assert_eq!(old.status.code(), Some(0));
    let before = snapshot(&out);
    let full = creditsim(work.path(), &replay_args(out_name, "big.csv"));
    assert_eq!(full.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("No space left"),
        "{stderr}"
    );
    assert!(staging_folders(&out).is_empty(), "nothing left behind");
    assert_eq!(snapshot(&out), before, "the old set is untouched");
    check_against_manifest(&out);
}
