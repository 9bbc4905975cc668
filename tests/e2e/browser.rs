//! The web app in a real browser: `tests/browser/run.mjs` drives the system's Chromium with
//! playwright-core through every spec in `tests/browser/specs` against `glimvid up` (register,
//! make a video, reload mid-job, play, review and edit, account screens, export, delete the
//! account, Chinese, a 375 px phone, keyboard only, axe-core on every screen, the first load's
//! size, no third-party request, no CSP violation).
//!
//! Needs node, Chromium and `tests/browser/node_modules` (`scripts/setup-browser` installs them).
//! Without them the test says so loudly and passes, unless `GLIMVID_TEST_REQUIRE_REAL=1` (CI),
//! which makes it fail. `GLIMVID_TEST_SCREENSHOTS=<dir>` keeps a screenshot of each main screen.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use crate::helpers::{fixtures_dir, spawn_app_with};

/// The whole browser run, two videos rendered included.
const RUN_TIMEOUT: Duration = Duration::from_secs(900);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

fn chromium() -> PathBuf {
    std::env::var_os("GLIMVID_TEST_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into())
}

/// What is missing to run a real browser, if anything.
fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    let node = std::process::Command::new("node").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !node.is_ok_and(|s| s.success()) {
        missing.push("node".to_owned());
    }
    if !chromium().is_file() {
        missing.push(format!("Chromium at {}", chromium().display()));
    }
    for module in ["playwright-core", "axe-core"] {
        if !browser_dir().join("node_modules").join(module).join("package.json").is_file() {
            missing.push(format!("tests/browser/node_modules/{module}"));
        }
    }
    missing
}

/// Runs the specs whose file name contains `filter` against `glimvid up` with `env`; `flags`
/// are passed to the runner (a spec's `requires`). `false` when the tools are missing (and the
/// run may skip).
async fn run_specs(env: &[(&str, &str)], filter: &str, flags: &[&str]) -> bool {
    let missing = missing_tools();
    if !missing.is_empty() {
        let msg = format!("the browser tests need {} (run scripts/setup-browser)", missing.join(", "));
        if std::env::var("GLIMVID_TEST_REQUIRE_REAL").as_deref() == Ok("1") {
            panic!("GLIMVID_TEST_REQUIRE_REAL=1: {msg}");
        }
        eprintln!("\n!!!!!!!! SKIPPED the browser specs `{filter}`: {msg} !!!!!!!!\n");
        return false;
    }
    let app = spawn_app_with(env).await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg("run.mjs")
        .arg(&app.address)
        .arg(filter)
        .current_dir(browser_dir())
        .env("GLIMVID_FIXTURES", fixtures_dir())
        .env("GLIMVID_TEST_CHROMIUM", chromium())
        .kill_on_drop(true);
    for flag in flags {
        cmd.env(flag, "1");
    }
    let status = tokio::time::timeout(RUN_TIMEOUT, cmd.status())
        .await
        .unwrap_or_else(|_| panic!("the browser run took longer than {RUN_TIMEOUT:?}"))
        .expect("start node");
    assert!(status.success(), "the browser specs `{filter}` failed (their output is above): {status}");
    true
}

#[tokio::test]
async fn the_web_app_works_in_chromium() {
    // Two videos from one address: the daily trials per network must not be what the test meets.
    let filter = std::env::var("GLIMVID_TEST_BROWSER_SPECS").unwrap_or_default();
    run_specs(&[("GLIMVID_TRIALS_PER_IP_PER_DAY", "0"), ("GLIMVID_REVIEWS_PER_IP_PER_DAY", "0")], &filter, &[]).await;
}

#[tokio::test]
async fn the_web_app_shows_payment_and_rate_limits_and_offline() {
    run_specs(
        &[("GLIMVID_FREE_TRIALS", "0"), ("GLIMVID_RATE_LIMIT_LOGIN", "2/1m")],
        "50-limits",
        &["GLIMVID_TEST_LIMITS"],
    )
    .await;
}
