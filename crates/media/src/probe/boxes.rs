//! Just enough ISO-BMFF (MP4) parsing to check a video: the top-level box order, and for the first
//! video track its sample entry (codec, coded size, avcC parameter sets), timescale and duration,
//! and the sample table (sizes, file offsets, sync samples).

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
};

use super::ProbeError;

/// The largest `moov` we are willing to load (a 60 s 30 fps video has ~30 KB of it).
const MAX_MOOV_BYTES: u64 = 64 << 20;

fn malformed(msg: impl Into<String>) -> ProbeError {
    ProbeError::Malformed(msg.into())
}

/// A top-level box: its type and where it sits in the file.
#[derive(Debug, Clone, Copy)]
pub struct TopBox {
    pub kind: [u8; 4],
    pub offset: u64,
    pub size: u64,
    pub header: u64,
}

/// Lists the top-level boxes without reading their bodies.
pub fn top_level(file: &mut File, len: u64) -> Result<Vec<TopBox>, ProbeError> {
    let mut out = Vec::new();
    let mut at = 0u64;
    while at < len {
        if len - at < 8 {
            return Err(malformed(format!("{} stray bytes at the end of the file", len - at)));
        }
        file.seek(SeekFrom::Start(at))?;
        let mut h = [0u8; 8];
        file.read_exact(&mut h)?;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let kind = [h[4], h[5], h[6], h[7]];
        let (size, header) = match size32 {
            0 => (len - at, 8),
            1 => {
                let mut l = [0u8; 8];
                file.read_exact(&mut l)?;
                (u64::from_be_bytes(l), 16)
            }
            s => (s, 8),
        };
        if size < header || at + size > len {
            return Err(malformed(format!("box {} at {at} overruns the file", String::from_utf8_lossy(&kind))));
        }
        out.push(TopBox { kind, offset: at, size, header });
        at += size;
    }
    Ok(out)
}

pub fn read_body(file: &mut File, b: &TopBox) -> Result<Vec<u8>, ProbeError> {
    let len = b.size - b.header;
    if len > MAX_MOOV_BYTES {
        return Err(malformed(format!("{} box of {len} bytes is implausibly large", String::from_utf8_lossy(&b.kind))));
    }
    file.seek(SeekFrom::Start(b.offset + b.header))?;
    let mut body = vec![0u8; len as usize];
    file.read_exact(&mut body)?;
    Ok(body)
}

/// A child box: its type and body.
type Child<'a> = ([u8; 4], &'a [u8]);

/// The child boxes of a box body.
pub fn children(mut buf: &[u8]) -> Result<Vec<Child<'_>>, ProbeError> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        if buf.len() < 8 {
            return Err(malformed("truncated box header"));
        }
        let size32 = be32(buf, 0)? as usize;
        let kind = [buf[4], buf[5], buf[6], buf[7]];
        let (size, header) = match size32 {
            0 => (buf.len(), 8),
            1 => (be64(buf, 8)? as usize, 16),
            s => (s, 8),
        };
        if size < header || size > buf.len() {
            return Err(malformed(format!("box {} overruns its parent", String::from_utf8_lossy(&kind))));
        }
        out.push((kind, &buf[header..size]));
        buf = &buf[size..];
    }
    Ok(out)
}

fn child<'a>(buf: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>, ProbeError> {
    Ok(children(buf)?.into_iter().find(|(k, _)| k == kind).map(|(_, b)| b))
}

fn need<'a>(buf: &'a [u8], kind: &[u8; 4]) -> Result<&'a [u8], ProbeError> {
    child(buf, kind)?.ok_or_else(|| malformed(format!("missing {} box", String::from_utf8_lossy(kind))))
}

fn be16(b: &[u8], at: usize) -> Result<u16, ProbeError> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]])).ok_or_else(|| malformed("box too short"))
}

fn be32(b: &[u8], at: usize) -> Result<u32, ProbeError> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| malformed("box too short"))
}

fn be64(b: &[u8], at: usize) -> Result<u64, ProbeError> {
    b.get(at..at + 8)
        .map(|s| u64::from_be_bytes(s.try_into().expect("8 bytes")))
        .ok_or_else(|| malformed("box too short"))
}

/// The first video track of a `moov`.
#[derive(Debug, Clone, Default)]
pub struct VideoTrack {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub timescale: u32,
    pub duration: u64,
    /// Sum of the stts deltas (the duration the samples actually cover).
    pub samples_duration: u64,
    pub sample_sizes: Vec<u32>,
    pub sample_offsets: Vec<u64>,
    /// 1-based sample numbers of sync samples; `None` when every sample is a sync sample.
    pub sync_samples: Option<Vec<u32>>,
    /// NAL length prefix size (avc1).
    pub nal_length_size: usize,
    pub sps: Vec<Vec<u8>>,
    pub pps: Vec<Vec<u8>>,
    /// The samples carry composition offsets (`ctts`): pictures are stored out of display order
    /// (B-frames).
    pub reordered: bool,
}

pub fn video_track(moov: &[u8]) -> Result<VideoTrack, ProbeError> {
    for (kind, trak) in children(moov)? {
        if &kind != b"trak" {
            continue;
        }
        let mdia = need(trak, b"mdia")?;
        let hdlr = need(mdia, b"hdlr")?;
        if hdlr.get(8..12) != Some(b"vide") {
            continue;
        }
        return parse_video_trak(mdia);
    }
    Err(ProbeError::NoVideoTrack)
}

fn parse_video_trak(mdia: &[u8]) -> Result<VideoTrack, ProbeError> {
    let mut t = VideoTrack::default();
    let mdhd = need(mdia, b"mdhd")?;
    (t.timescale, t.duration) = match mdhd.first() {
        Some(1) => (be32(mdhd, 20)?, be64(mdhd, 24)?),
        _ => (be32(mdhd, 12)?, be32(mdhd, 16)? as u64),
    };
    if t.timescale == 0 {
        return Err(malformed("mdhd timescale is 0"));
    }
    let stbl = need(need(mdia, b"minf")?, b"stbl")?;

    let stsd = need(stbl, b"stsd")?;
    let entries = children(stsd.get(8..).ok_or_else(|| malformed("stsd too short"))?)?;
    let (kind, entry) = entries.first().ok_or_else(|| malformed("stsd has no sample entry"))?;
    t.codec = String::from_utf8_lossy(kind).into_owned();
    t.width = be16(entry, 24)? as u32;
    t.height = be16(entry, 26)? as u32;
    if kind == b"avc1" || kind == b"avc3" {
        let avcc = need(entry.get(78..).ok_or_else(|| malformed("avc1 entry too short"))?, b"avcC")?;
        parse_avcc(avcc, &mut t)?;
    }

    let table = sample_table(stbl)?;
    (t.sample_sizes, t.sample_offsets, t.samples_duration) = (table.sizes, table.offsets, table.duration);
    t.reordered = child(stbl, b"ctts")?.is_some();
    if let Some(stss) = child(stbl, b"stss")? {
        t.sync_samples = Some((0..be32(stss, 4)? as usize).map(|i| be32(stss, 8 + 4 * i)).collect::<Result<_, _>>()?);
    }
    Ok(t)
}

/// A track's samples: sizes, file offsets, and the sum of their durations (stts).
struct SampleTable {
    sizes: Vec<u32>,
    offsets: Vec<u64>,
    duration: u64,
}

fn sample_table(stbl: &[u8]) -> Result<SampleTable, ProbeError> {
    let stsz = need(stbl, b"stsz")?;
    let fixed = be32(stsz, 4)?;
    let count = be32(stsz, 8)? as usize;
    let sizes: Vec<u32> = if fixed != 0 {
        vec![fixed; count]
    } else {
        (0..count).map(|i| be32(stsz, 12 + 4 * i)).collect::<Result<_, _>>()?
    };

    let chunk_offsets: Vec<u64> = if let Some(stco) = child(stbl, b"stco")? {
        (0..be32(stco, 4)? as usize).map(|i| be32(stco, 8 + 4 * i).map(u64::from)).collect::<Result<_, _>>()?
    } else {
        let co64 = need(stbl, b"co64")?;
        (0..be32(co64, 4)? as usize).map(|i| be64(co64, 8 + 8 * i)).collect::<Result<_, _>>()?
    };
    let stsc = need(stbl, b"stsc")?;
    let runs: Vec<(u32, u32)> = (0..be32(stsc, 4)? as usize)
        .map(|i| Ok((be32(stsc, 8 + 12 * i)?, be32(stsc, 12 + 12 * i)?)))
        .collect::<Result<_, ProbeError>>()?;
    let mut offsets = Vec::with_capacity(sizes.len());
    let mut sample = 0usize;
    for (ci, &chunk_offset) in chunk_offsets.iter().enumerate() {
        let chunk_no = ci as u32 + 1;
        let per_chunk = runs.iter().rev().find(|(first, _)| *first <= chunk_no).map_or(0, |r| r.1) as usize;
        let mut offset = chunk_offset;
        for _ in 0..per_chunk {
            let Some(&size) = sizes.get(sample) else { break };
            offsets.push(offset);
            offset += size as u64;
            sample += 1;
        }
    }
    if offsets.len() != sizes.len() {
        return Err(malformed(format!("sample table maps {} of {} samples to chunks", offsets.len(), sizes.len())));
    }

    let stts = need(stbl, b"stts")?;
    let mut duration = 0u64;
    for i in 0..be32(stts, 4)? as usize {
        duration += be32(stts, 8 + 8 * i)? as u64 * be32(stts, 12 + 8 * i)? as u64;
    }
    Ok(SampleTable { sizes, offsets, duration })
}

/// The first audio track of a `moov`.
#[derive(Debug, Clone, Default)]
pub struct AudioTrack {
    /// Sample entry type: `mp4a` for AAC.
    pub codec: String,
    /// MPEG-4 audio object type from the AudioSpecificConfig (2 = AAC-LC); 0 if none.
    pub object_type: u8,
    pub sample_rate: u32,
    pub channels: u16,
    pub timescale: u32,
    pub duration: u64,
    pub samples_duration: u64,
    pub sample_sizes: Vec<u32>,
    pub sample_offsets: Vec<u64>,
    /// The AudioSpecificConfig from `esds` (the decoder's configuration).
    pub asc: Vec<u8>,
}

/// The first audio track, if the file has one.
pub fn audio_track(moov: &[u8]) -> Result<Option<AudioTrack>, ProbeError> {
    for (kind, trak) in children(moov)? {
        if &kind != b"trak" {
            continue;
        }
        let mdia = need(trak, b"mdia")?;
        let hdlr = need(mdia, b"hdlr")?;
        if hdlr.get(8..12) != Some(b"soun") {
            continue;
        }
        let mut t = AudioTrack::default();
        let mdhd = need(mdia, b"mdhd")?;
        (t.timescale, t.duration) = match mdhd.first() {
            Some(1) => (be32(mdhd, 20)?, be64(mdhd, 24)?),
            _ => (be32(mdhd, 12)?, be32(mdhd, 16)? as u64),
        };
        if t.timescale == 0 {
            return Err(malformed("audio mdhd timescale is 0"));
        }
        let stbl = need(need(mdia, b"minf")?, b"stbl")?;
        let stsd = need(stbl, b"stsd")?;
        let entries = children(stsd.get(8..).ok_or_else(|| malformed("stsd too short"))?)?;
        let (kind, entry) = entries.first().ok_or_else(|| malformed("audio stsd has no sample entry"))?;
        t.codec = String::from_utf8_lossy(kind).into_owned();
        t.channels = be16(entry, 16)?;
        t.sample_rate = be32(entry, 24)? >> 16;
        if kind == b"mp4a"
            && let Some(esds) = child(entry.get(28..).ok_or_else(|| malformed("mp4a entry too short"))?, b"esds")?
        {
            t.asc = esds_audio_specific_config(esds)?;
            if let Some(&b0) = t.asc.first() {
                t.object_type = b0 >> 3;
            }
        }
        let table = sample_table(stbl)?;
        (t.sample_sizes, t.sample_offsets, t.samples_duration) = (table.sizes, table.offsets, table.duration);
        return Ok(Some(t));
    }
    Ok(None)
}

/// One MPEG-4 descriptor (tag, body) at `at`: sizes use 7 bits per byte, high bit = more.
fn descriptor(b: &[u8], mut at: usize) -> Result<(u8, &[u8], usize), ProbeError> {
    let short = || malformed("esds descriptor too short");
    let tag = *b.get(at).ok_or_else(short)?;
    at += 1;
    let mut len = 0usize;
    for _ in 0..4 {
        let byte = *b.get(at).ok_or_else(short)?;
        at += 1;
        len = (len << 7) | (byte & 0x7f) as usize;
        if byte & 0x80 == 0 {
            break;
        }
    }
    let body = b.get(at..at + len).ok_or_else(short)?;
    Ok((tag, body, at + len))
}

/// ES_Descriptor → DecoderConfigDescriptor → DecoderSpecificInfo (the AudioSpecificConfig).
fn esds_audio_specific_config(esds: &[u8]) -> Result<Vec<u8>, ProbeError> {
    let (tag, es, _) = descriptor(esds, 4)?;
    if tag != 0x03 {
        return Err(malformed("esds has no ES descriptor"));
    }
    let flags = *es.get(2).ok_or_else(|| malformed("ES descriptor too short"))?;
    let mut at = 3;
    if flags & 0x80 != 0 {
        at += 2;
    }
    if flags & 0x40 != 0 {
        at += 1 + *es.get(at).ok_or_else(|| malformed("ES descriptor URL"))? as usize;
    }
    if flags & 0x20 != 0 {
        at += 2;
    }
    let (tag, dc, _) = descriptor(es, at)?;
    if tag != 0x04 {
        return Err(malformed("esds has no decoder config"));
    }
    let (tag, dsi, _) = descriptor(dc, 13)?;
    if tag != 0x05 {
        return Err(malformed("esds has no AudioSpecificConfig"));
    }
    Ok(dsi.to_vec())
}

fn parse_avcc(b: &[u8], t: &mut VideoTrack) -> Result<(), ProbeError> {
    let short = || malformed("avcC too short");
    t.nal_length_size = (*b.get(4).ok_or_else(short)? & 3) as usize + 1;
    let mut at = 5;
    let n_sps = (*b.get(at).ok_or_else(short)? & 0x1f) as usize;
    at += 1;
    for _ in 0..n_sps {
        let len = be16(b, at)? as usize;
        t.sps.push(b.get(at + 2..at + 2 + len).ok_or_else(short)?.to_vec());
        at += 2 + len;
    }
    let n_pps = *b.get(at).ok_or_else(short)? as usize;
    at += 1;
    for _ in 0..n_pps {
        let len = be16(b, at)? as usize;
        t.pps.push(b.get(at + 2..at + 2 + len).ok_or_else(short)?.to_vec());
        at += 2 + len;
    }
    Ok(())
}

/// Rewrites one length-prefixed (AVCC) sample as Annex-B (start codes).
pub fn avcc_to_annexb(sample: &[u8], length_size: usize, out: &mut Vec<u8>) -> Result<(), ProbeError> {
    let mut at = 0;
    while at < sample.len() {
        let Some(prefix) = sample.get(at..at + length_size) else {
            return Err(malformed("truncated NAL length"));
        };
        let len = prefix.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
        at += length_size;
        let nal = sample.get(at..at + len).ok_or_else(|| malformed("NAL overruns its sample"))?;
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
        at += len;
    }
    Ok(())
}
