//! Code generated from `proto/` (tonic + prost). The only crate that reads `.proto` files.

pub mod auth {
    pub mod v1 {
        tonic::include_proto!("glimvid.auth.v1");
    }
}
pub mod script {
    pub mod v1 {
        tonic::include_proto!("glimvid.script.v1");
    }
}
pub mod enhance {
    pub mod v1 {
        tonic::include_proto!("glimvid.enhance.v1");
    }
}
pub mod jobs {
    pub mod v1 {
        tonic::include_proto!("glimvid.jobs.v1");
    }
}
pub mod pipeline {
    pub mod v1 {
        tonic::include_proto!("glimvid.pipeline.v1");
    }
}

/// The encoded file descriptor set of every service, for the internal port's server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("glimvid_descriptor");

/// The encoded file descriptor set of the partner API alone (`glimvid.jobs.v1`), for the partner
/// port's server reflection: it names no internal service.
pub const PARTNER_FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("partner_descriptor");

pub mod status;
