//! The network adapters against local mock servers that follow the providers' documented
//! formats: every request is checked (method, path, headers, body) and each error class is
//! replayed. One test binary (link time); one file per adapter.

mod ark_enhance;
mod ark_video;
mod common;
mod deepseek;
