//! Compiles every file under `proto/` once, without a system `protoc` (protox parses in Rust).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not when it was compiled: a build folder copied from another
    // checkout must not keep compiling that checkout's files.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "glimvid/auth/v1/auth.proto",
        "glimvid/script/v1/script.proto",
        "glimvid/enhance/v1/enhance.proto",
        "glimvid/jobs/v1/jobs.proto",
        "glimvid/pipeline/v1/tasks.proto",
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={}", root.join(f).display());
    }
    let fds = protox::compile(files.iter().map(|f| root.join(f)), [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("glimvid_descriptor.bin"), prost::Message::encode_to_vec(&fds))?;
    // What the partner port's reflection may tell: the partner API's own file and its imports,
    // nothing of the internal services.
    let partner = protox::compile([root.join("glimvid/jobs/v1/jobs.proto")], [&root])?;
    std::fs::write(out.join("partner_descriptor.bin"), prost::Message::encode_to_vec(&partner))?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
