//! The S3 adapter (distributed mode): any S3-compatible store (AWS S3, MinIO, s3s-fs), reached
//! with path-style addressing. Credentials are given explicitly (never read from the ambient AWS
//! environment) and never appear in `Debug` output or in error messages.
//!
//! - `put` is one PutObject; `put_file` streams the file from disk, as one PutObject below
//!   [`S3Settings::multipart_threshold`] and as a multipart upload above it (parts read straight
//!   from the file, a few in flight; the upload is aborted on failure or cancellation).
//! - `read` is one ranged GetObject whose body is streamed as it arrives.
//! - `list` follows ListObjectsV2 continuation tokens; `delete_prefix` uses batched DeleteObjects.

use std::{fmt, path::Path, sync::Arc, time::Duration};

use async_trait::async_trait;
use aws_sdk_s3::{
    Client,
    config::{BehaviorVersion, Credentials, Region, http::HttpResponse, retry::RetryConfig, timeout::TimeoutConfig},
    error::{ProvideErrorMetadata, SdkError},
    primitives::{ByteStream as SdkByteStream, Length},
    types::{
        BucketLocationConstraint, ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart,
        CreateBucketConfiguration, Delete, ObjectIdentifier,
    },
};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use crate::{BlobError, BlobRead, BlobStore, validate_key};

const MIB: u64 = 1024 * 1024;
/// S3's limits: parts of at least 5 MiB (but the last), at most 10 000 parts, 1000 keys per
/// DeleteObjects or ListObjectsV2 page.
const MIN_PART_SIZE: u64 = 5 * MIB;
const MAX_PARTS: u64 = 10_000;
const MAX_BATCH: usize = 1000;

/// A secret string: `Debug` and `Display` print `***`; read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How to reach the bucket. Build with [`S3Settings::new`] and adjust the public fields.
#[derive(Clone, Debug)]
pub struct S3Settings {
    /// `http(s)://host:port` of an S3-compatible store; `None` means AWS S3 for `region`.
    pub endpoint: Option<String>,
    pub bucket: String,
    /// Signing region (`us-east-1` for most S3-compatible stores).
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Path-style addressing (`endpoint/bucket/key`), which S3-compatible stores need.
    pub force_path_style: bool,
    /// Limit on establishing a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Limit from sending a request to the first byte of its response, which includes sending
    /// the request body: it must allow for one part (or one small object) to be uploaded.
    pub read_timeout: Duration,
    /// Attempts per request, the first included (the SDK's standard retry mode, with backoff).
    pub max_attempts: u32,
    /// Creates the bucket on `connect` if it does not exist (tests, development).
    pub create_bucket_if_missing: bool,
    /// `put_file` of a file larger than this uses a multipart upload.
    pub multipart_threshold: u64,
    /// Size of a multipart part (at least 5 MiB; grown if a file would need more than 10 000).
    pub part_size: u64,
    /// Parts uploaded at the same time.
    pub upload_concurrency: usize,
    /// Keys per ListObjectsV2 page (1..=1000).
    pub list_page_size: i32,
}

impl S3Settings {
    pub fn new(
        endpoint: Option<String>,
        bucket: impl Into<String>,
        region: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        Self {
            endpoint,
            bucket: bucket.into(),
            region: region.into(),
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            force_path_style: true,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(120),
            max_attempts: 3,
            create_bucket_if_missing: false,
            multipart_threshold: 16 * MIB,
            part_size: 8 * MIB,
            upload_concurrency: 4,
            list_page_size: 1000,
        }
    }

    fn check(&self) -> Result<(), BlobError> {
        let bad = |what: &str| Err(BlobError::Unavailable(format!("invalid S3 settings: {what}")));
        if let Some(endpoint) = &self.endpoint {
            let Some((scheme, rest)) = endpoint.split_once("://") else {
                return bad("the endpoint must be an http:// or https:// URL");
            };
            if !matches!(scheme, "http" | "https") {
                return bad("the endpoint must be an http:// or https:// URL");
            }
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if authority.contains('@') {
                return bad("the endpoint must not contain credentials");
            }
            if authority.is_empty() {
                return bad("the endpoint has no host");
            }
        }
        if self.bucket.is_empty() {
            return bad("the bucket is empty");
        }
        if self.region.is_empty() {
            return bad("the region is empty");
        }
        if self.access_key_id.is_empty() || self.secret_access_key.expose().is_empty() {
            return bad("the access key id and the secret access key are required");
        }
        if self.max_attempts == 0 {
            return bad("max_attempts must be at least 1");
        }
        if self.part_size < MIN_PART_SIZE {
            return bad("part_size must be at least 5 MiB");
        }
        if self.upload_concurrency == 0 {
            return bad("upload_concurrency must be at least 1");
        }
        if !(1..=MAX_BATCH as i32).contains(&self.list_page_size) {
            return bad("list_page_size must be within 1..=1000");
        }
        Ok(())
    }
}

/// Removes the credentials from a message, should a server or a library ever echo them.
#[derive(Debug)]
struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    fn new(settings: &S3Settings) -> Self {
        let mut secrets = vec![settings.secret_access_key.clone()];
        // Short identifiers would mangle ordinary words; real ones are 16+ characters.
        if settings.access_key_id.len() >= 8 {
            secrets.push(Secret::new(settings.access_key_id.clone()));
        }
        Self { secrets }
    }

    fn clean(&self, mut message: String) -> String {
        for s in &self.secrets {
            if !s.expose().is_empty() && message.contains(s.expose()) {
                message = message.replace(s.expose(), "***");
            }
        }
        message
    }
}

/// The S3 implementation of [`BlobStore`].
pub struct S3Store {
    client: Client,
    bucket: String,
    settings: S3Settings,
    redactor: Arc<Redactor>,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Store").field("bucket", &self.bucket).field("endpoint", &self.settings.endpoint).finish()
    }
}

/// What went wrong, in the port's terms.
enum Failure {
    NotFound,
    BadRange,
    Other,
}

impl S3Store {
    /// Builds the client. Does no network I/O unless `create_bucket_if_missing` is set, in which
    /// case the bucket is checked (HeadBucket) and created if absent.
    pub async fn connect(settings: S3Settings) -> Result<Self, BlobError> {
        settings.check()?;
        let credentials = Credentials::new(
            settings.access_key_id.clone(),
            settings.secret_access_key.expose().to_owned(),
            None,
            None,
            "glimvid-settings",
        );
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(credentials)
            .force_path_style(settings.force_path_style)
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(settings.connect_timeout)
                    .read_timeout(settings.read_timeout)
                    .build(),
            );
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint.trim_end_matches('/'));
        }
        let store = Self {
            client: Client::from_conf(config.build()),
            bucket: settings.bucket.clone(),
            redactor: Arc::new(Redactor::new(&settings)),
            settings,
        };
        if store.settings.create_bucket_if_missing {
            store.ensure_bucket().await?;
        }
        Ok(store)
    }

    /// The SDK client, for what the port does not cover (presigned URLs, bucket administration).
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn ensure_bucket(&self) -> Result<(), BlobError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => return Ok(()),
            Err(e) if matches!(classify(&e), Failure::NotFound) => {}
            Err(e) => return Err(self.unavailable("HeadBucket", &e)),
        }
        let mut req = self.client.create_bucket().bucket(&self.bucket);
        // us-east-1 is the one region that takes no location constraint.
        if self.settings.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.settings.region.as_str()))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => {
                tracing::info!(bucket = %self.bucket, "created the S3 bucket");
                Ok(())
            }
            // Someone else (another replica) created it meanwhile.
            Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou")) => Ok(()),
            Err(e) => Err(self.unavailable("CreateBucket", &e)),
        }
    }

    /// An `Unavailable` error for a failed call, without credentials.
    fn unavailable<E>(&self, op: &str, err: &SdkError<E, HttpResponse>) -> BlobError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        BlobError::Unavailable(self.redactor.clean(describe(op, err)))
    }

    /// Maps a failed call to the port's error.
    fn error<E>(&self, op: &str, err: SdkError<E, HttpResponse>) -> BlobError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match classify(&err) {
            Failure::NotFound => BlobError::NotFound,
            Failure::BadRange => BlobError::BadRange,
            Failure::Other => self.unavailable(op, &err),
        }
    }

    async fn put_small_file(&self, key: &str, path: &Path, len: u64, content_type: &str) -> Result<(), BlobError> {
        let body = SdkByteStream::read_from()
            .path(path)
            .length(Length::Exact(len))
            .build()
            .await
            .map_err(|e| BlobError::Unavailable(format!("reading {}: {e}", path.display())))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(len as i64)
            .body(body)
            .send()
            .await
            .map_err(|e| self.unavailable("PutObject", &e))?;
        Ok(())
    }

    async fn put_multipart(&self, key: &str, path: &Path, len: u64, content_type: &str) -> Result<(), BlobError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| self.unavailable("CreateMultipartUpload", &e))?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| BlobError::Unavailable("CreateMultipartUpload returned no upload id".into()))?
            .to_owned();
        // Aborts the upload if this future is dropped before it finishes (a cancelled request).
        let mut guard = AbortGuard {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            upload_id: Some(upload_id.clone()),
        };
        match self.upload_parts_and_complete(key, path, len, &upload_id).await {
            Ok(()) => {
                guard.upload_id = None;
                Ok(())
            }
            Err(e) => {
                guard.upload_id = None;
                if let Err(abort) = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send()
                    .await
                {
                    tracing::warn!(key, error = %self.redactor.clean(describe("AbortMultipartUpload", &abort)),
                        "could not abort a failed multipart upload");
                }
                Err(e)
            }
        }
    }

    async fn upload_parts_and_complete(
        &self,
        key: &str,
        path: &Path,
        len: u64,
        upload_id: &str,
    ) -> Result<(), BlobError> {
        let part_size = part_size_for(self.settings.part_size, len);
        let count = len.div_ceil(part_size);
        let uploads = futures::stream::iter(0..count).map(|i| {
            let offset = i * part_size;
            let size = part_size.min(len - offset);
            self.upload_part(key, path, upload_id, (i + 1) as i32, offset, size)
        });
        let mut parts: Vec<CompletedPart> =
            uploads.buffer_unordered(self.settings.upload_concurrency).try_collect().await?;
        parts.sort_by_key(|p| p.part_number());
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(|e| self.unavailable("CompleteMultipartUpload", &e))?;
        Ok(())
    }

    async fn upload_part(
        &self,
        key: &str,
        path: &Path,
        upload_id: &str,
        number: i32,
        offset: u64,
        size: u64,
    ) -> Result<CompletedPart, BlobError> {
        // The part is read from the file as it is sent (and re-read if the SDK retries).
        let body = SdkByteStream::read_from()
            .path(path)
            .offset(offset)
            .length(Length::Exact(size))
            .build()
            .await
            .map_err(|e| BlobError::Unavailable(format!("reading {}: {e}", path.display())))?;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(size as i64)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(body)
            .send()
            .await
            .map_err(|e| self.unavailable("UploadPart", &e))?;
        Ok(CompletedPart::builder()
            .part_number(number)
            .set_e_tag(out.e_tag().map(str::to_owned))
            .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
            .build())
    }

    /// One page of keys under `prefix`, and the token of the next page.
    async fn list_page(&self, prefix: &str, token: Option<String>) -> Result<(Vec<String>, Option<String>), BlobError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .max_keys(self.settings.list_page_size)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| self.unavailable("ListObjectsV2", &e))?;
        let keys = out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
        let next =
            if out.is_truncated() == Some(true) { out.next_continuation_token().map(str::to_owned) } else { None };
        Ok((keys, next))
    }

    /// Deletes up to 1000 keys in one request.
    async fn delete_batch(&self, keys: &[String]) -> Result<(), BlobError> {
        let objects = keys
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BlobError::Unavailable(format!("DeleteObjects: {e}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| BlobError::Unavailable(format!("DeleteObjects: {e}")))?;
        let out = match self.client.delete_objects().bucket(&self.bucket).delete(delete).send().await {
            Ok(out) => out,
            // Some S3-compatible stores (GCS, a few gateways) lack DeleteObjects.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 501) => {
                for k in keys {
                    self.delete(k).await?;
                }
                return Ok(());
            }
            Err(e) => return Err(self.unavailable("DeleteObjects", &e)),
        };
        let failed: Vec<String> = out
            .errors()
            .iter()
            .filter(|e| e.code() != Some("NoSuchKey"))
            .map(|e| format!("{}: {}", e.key().unwrap_or("?"), e.code().unwrap_or("error")))
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(BlobError::Unavailable(self.redactor.clean(format!(
                "DeleteObjects failed for {} of {} keys: {}",
                failed.len(),
                keys.len(),
                failed.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
            ))))
        }
    }
}

#[async_trait]
impl BlobStore for S3Store {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &str, data: Bytes, content_type: &str) -> Result<(), BlobError> {
        validate_key(key)?;
        let len = data.len() as i64;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(len)
            .body(SdkByteStream::from(data))
            .send()
            .await
            .map_err(|e| self.unavailable("PutObject", &e))?;
        Ok(())
    }

    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), BlobError> {
        validate_key(key)?;
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| BlobError::Unavailable(format!("reading {}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(BlobError::Unavailable(format!("{} is not a file", path.display())));
        }
        let len = meta.len();
        if len > self.settings.multipart_threshold {
            self.put_multipart(key, path, len, content_type).await
        } else {
            self.put_small_file(key, path, len, content_type).await
        }
    }

    async fn get(&self, key: &str) -> Result<Bytes, BlobError> {
        validate_key(key)?;
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.error("GetObject", e))?;
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| BlobError::Unavailable(self.redactor.clean(format!("GetObject body: {e}"))))?;
        Ok(bytes.into_bytes())
    }

    async fn read(&self, key: &str, range: Option<(u64, Option<u64>)>) -> Result<BlobRead, BlobError> {
        validate_key(key)?;
        let header = match range {
            None => None,
            Some((start, Some(end))) if end < start => return Err(BlobError::BadRange),
            // Ends past any object size mean "to the end" (some stores refuse ends above i64::MAX).
            Some((start, Some(end))) if end < i64::MAX as u64 => Some(format!("bytes={start}-{end}")),
            Some((start, _)) => Some(format!("bytes={start}-")),
        };
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(header)
            .send()
            .await
            .map_err(|e| self.error("GetObject", e))?;
        let length = out.content_length().and_then(|l| u64::try_from(l).ok());
        let (total, served) = match out.content_range().and_then(parse_content_range) {
            Some((start, end, total)) => (total, start..end + 1),
            None => {
                // A whole-object response: no range asked, or a store that ignored it.
                let total = length.ok_or_else(|| BlobError::Unavailable("GetObject: no Content-Length".into()))?;
                (total, 0..total)
            }
        };
        let wanted = crate::resolve_range(total, range)?;
        if wanted.start < served.start || wanted.end > served.end {
            return Err(BlobError::Unavailable(format!(
                "GetObject: asked for bytes {wanted:?}, the store sent {served:?} of {total}"
            )));
        }
        let body = body_stream(out.body, wanted.start - served.start, wanted.end - wanted.start, self.redactor.clone());
        Ok(BlobRead { total, range: wanted, body })
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, BlobError> {
        validate_key(key)?;
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(out.content_length().and_then(|l| u64::try_from(l).ok()).unwrap_or(0))),
            Err(e) => match self.error("HeadObject", e) {
                BlobError::NotFound => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        validate_key(key)?;
        match self.client.delete_object().bucket(&self.bucket).key(key).send().await {
            Ok(_) => Ok(()),
            Err(e) => match self.error("DeleteObject", e) {
                BlobError::NotFound => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let (page, next) = self.list_page(prefix, token).await?;
            keys.extend(page);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    async fn ping(&self) -> Result<(), BlobError> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(|e| self.unavailable("HeadBucket", &e))?;
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<usize, BlobError> {
        // Page by page: each page is deleted before the next is asked for, so memory stays
        // bounded; continuation tokens name the last key, which deleting does not invalidate.
        let mut deleted = 0;
        let mut token = None;
        loop {
            let (page, next) = self.list_page(prefix, token).await?;
            for batch in page.chunks(MAX_BATCH) {
                self.delete_batch(batch).await?;
                deleted += batch.len();
            }
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        Ok(deleted)
    }
}

/// Aborts a multipart upload that was neither completed nor aborted (its future was dropped).
struct AbortGuard {
    client: Client,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        let Some(upload_id) = self.upload_id.take() else { return };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(key = %self.key, "multipart upload left incomplete: no runtime to abort it");
            return;
        };
        let req = self.client.abort_multipart_upload().bucket(&self.bucket).key(&self.key).upload_id(upload_id);
        let key = self.key.clone();
        handle.spawn(async move {
            if req.send().await.is_err() {
                tracing::warn!(%key, "could not abort a cancelled multipart upload");
            }
        });
    }
}

/// Classifies an SDK error by S3 error code and HTTP status.
fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Failure {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = match err {
        SdkError::ServiceError(e) => e.err().code(),
        _ => None,
    };
    match (status, code) {
        // A missing bucket is a misconfiguration, not a missing object.
        (_, Some("NoSuchBucket")) => Failure::Other,
        (_, Some("NoSuchKey" | "NotFound")) | (Some(404), _) => Failure::NotFound,
        (_, Some("InvalidRange")) | (Some(416), _) => Failure::BadRange,
        _ => Failure::Other,
    }
}

/// A one-line description of a failed call: operation, HTTP status, S3 code and message, or the
/// transport failure. Never includes the request (and so never its signature).
fn describe<E>(op: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            // HEAD responses carry no error body, hence no code: say what the status means.
            let code = e.err().code().unwrap_or(match status {
                401 | 403 => "access denied (wrong credentials, clock skew or no permission)",
                404 => "not found",
                500.. => "server error",
                _ => "unknown error",
            });
            match e.err().message() {
                Some(msg) if !msg.is_empty() => format!("S3 {op} failed: HTTP {status} {code}: {msg}"),
                _ => format!("S3 {op} failed: HTTP {status} {code}"),
            }
        }
        SdkError::TimeoutError(_) => format!("S3 {op} timed out"),
        other => {
            // The Display chain of the causes (not their Debug form, which is long and noisy).
            let mut text = other.to_string();
            let mut cause = std::error::Error::source(other);
            while let Some(c) = cause {
                let part = c.to_string();
                if !text.ends_with(&part) {
                    text = format!("{text}: {part}");
                }
                cause = c.source();
            }
            format!("S3 {op} failed: {text}")
        }
    }
}

/// The configured part size, grown so that a file needs at most 10 000 parts.
fn part_size_for(configured: u64, len: u64) -> u64 {
    configured.max(len.div_ceil(MAX_PARTS))
}

/// Parses `bytes START-END/TOTAL`.
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let (start, end, total) = (start.trim().parse().ok()?, end.trim().parse().ok()?, total.trim().parse().ok()?);
    (start <= end && end < total).then_some((start, end, total))
}

/// The SDK body as the port's stream: skips `skip` bytes, yields exactly `take` bytes (an error if
/// the body ends before), and drops the connection as soon as they are read.
fn body_stream(body: SdkByteStream, skip: u64, take: u64, redactor: Arc<Redactor>) -> crate::ByteStream {
    struct State {
        body: SdkByteStream,
        skip: u64,
        left: u64,
        redactor: Arc<Redactor>,
    }
    let state = State { body, skip, left: take, redactor };
    futures::stream::try_unfold(state, |mut st| async move {
        loop {
            if st.left == 0 {
                return Ok(None);
            }
            let Some(chunk) = st.body.next().await else {
                return Err(BlobError::Unavailable(format!("S3 GetObject body ended {} bytes early", st.left)));
            };
            let mut chunk =
                chunk.map_err(|e| BlobError::Unavailable(st.redactor.clean(format!("S3 GetObject body: {e}"))))?;
            if st.skip > 0 {
                let n = st.skip.min(chunk.len() as u64);
                chunk = chunk.slice(n as usize..);
                st.skip -= n;
            }
            if chunk.len() as u64 > st.left {
                chunk.truncate(st.left as usize);
            }
            if chunk.is_empty() {
                continue;
            }
            st.left -= chunk.len() as u64;
            return Ok(Some((chunk, st)));
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> S3Settings {
        S3Settings::new(Some("http://127.0.0.1:9000".into()), "b", "us-east-1", "AKIAEXAMPLEKEY123", "top-secret-value")
    }

    #[test]
    fn secrets_never_print() {
        let s = settings();
        let shown = format!("{s:?}");
        assert!(!shown.contains("top-secret-value"), "{shown}");
        assert!(shown.contains("***"));
        assert_eq!(format!("{}", s.secret_access_key), "***");
    }

    #[test]
    fn messages_are_redacted() {
        let r = Redactor::new(&settings());
        assert_eq!(r.clean("key AKIAEXAMPLEKEY123 secret top-secret-value".into()), "key *** secret ***");
    }

    #[test]
    fn settings_are_checked() {
        assert!(settings().check().is_ok());
        let mut s = settings();
        s.endpoint = Some("http://user:pw@host:9000".into());
        let err = s.check().unwrap_err().to_string();
        assert!(!err.contains("pw"), "{err}");
        let mut s = settings();
        s.endpoint = Some("host:9000".into());
        assert!(s.check().is_err());
        let mut s = settings();
        s.part_size = MIB;
        assert!(s.check().is_err());
        let mut s = settings();
        s.secret_access_key = Secret::default();
        assert!(s.check().is_err());
    }

    #[test]
    fn content_ranges_parse() {
        assert_eq!(parse_content_range("bytes 100-199/300000"), Some((100, 199, 300_000)));
        assert_eq!(parse_content_range("bytes 0-0/1"), Some((0, 0, 1)));
        assert_eq!(parse_content_range("bytes */300000"), None);
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes 5-10/10"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[tokio::test]
    async fn bodies_are_sliced_and_checked() {
        let r = Arc::new(Redactor::new(&settings()));
        let sdk = || SdkByteStream::from(Bytes::from_static(b"0123456789"));
        let got = crate::collect(body_stream(sdk(), 2, 5, r.clone())).await.unwrap();
        assert_eq!(got, b"23456");
        let got = crate::collect(body_stream(sdk(), 0, 10, r.clone())).await.unwrap();
        assert_eq!(got, b"0123456789");
        assert!(crate::collect(body_stream(sdk(), 5, 6, r)).await.is_err());
    }

    #[test]
    fn parts_grow_for_huge_files() {
        assert_eq!(part_size_for(8 * MIB, 20 * MIB), 8 * MIB);
        let huge = 200 * 1024 * MIB;
        assert!(huge.div_ceil(part_size_for(8 * MIB, huge)) <= MAX_PARTS);
    }
}
