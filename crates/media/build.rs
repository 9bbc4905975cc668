//! Stops the build, with one line that says what to do, when the bundled H.264 encoder would be
//! compiled without its assembly: on x86-64 without `nasm`, openh264's build silently falls back
//! to C only, which encodes ~2.5x slower. `scripts/setup-tools` installs nasm;
//! `GLIMVID_ALLOW_SLOW_ENCODER=1` builds anyway.

use std::{env, process::Command};

fn main() {
    println!("cargo:rerun-if-env-changed=GLIMVID_ALLOW_SLOW_ENCODER");
    println!("cargo:rerun-if-env-changed=NASM");
    let x86 = env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "x86_64" || a == "x86");
    if !x86 || env::var("GLIMVID_ALLOW_SLOW_ENCODER").is_ok_and(|v| v == "1") {
        return;
    }
    let nasm = env::var("NASM").unwrap_or_else(|_| "nasm".into());
    if Command::new(&nasm).arg("-v").output().is_ok_and(|o| o.status.success()) {
        return;
    }
    eprintln!(
        "error: `nasm` is not installed: the bundled H.264 encoder (openh264) would build without its \
         assembly and encode ~2.5x slower. Install it (`scripts/setup-tools`, or `apt-get install nasm`, \
         `brew install nasm`), or build anyway with GLIMVID_ALLOW_SLOW_ENCODER=1."
    );
    std::process::exit(1);
}
