use super::*;
use crate::{fragment::encode_message, test_util::XorShift, ProtocolError::*};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

const UNLIMITED: ParseLimits = ParseLimits {
    flags: 0,
    max_frame_size: f64::INFINITY,
    max_message_size: f64::INFINITY,
    max_fragments: 0.0,
};
const SERVER: ParseLimits = ParseLimits { flags: PARSE_EXPECT_MASKED, ..UNLIMITED };

struct Run {
    count: usize,
    state: [f64; STATE_SLOTS],
    out: Vec<f64>,
    buf: Vec<u8>,
}

fn run_with(buf: &[u8], limits: &ParseLimits, state: [f64; STATE_SLOTS], room: usize) -> Run {
    let mut buf = buf.to_vec();
    let mut state = state;
    let mut out = vec![-1.0; room * FRAME_STRIDE];
    let end = buf.len();
    let count = parse_frames(&mut buf, 0, end, limits, &mut state, &mut out);
    Run { count, state, out, buf }
}

fn run(buf: &[u8], limits: &ParseLimits) -> Run {
    run_with(buf, limits, [0.0; STATE_SLOTS], 64)
}

#[test]
fn rfc_examples() {
    // §5.7: unmasked "Hello" from a server.
    let r = run(&hex("8105 48656c6c6f"), &UNLIMITED);
    assert_eq!(r.count, 1);
    assert_eq!(r.out[..4], [129.0, 2.0, 5.0, 0.0]);
    assert_eq!(r.state, [7.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    // §5.7: masked "Hello" from a client, unmasked in place.
    let r = run(&hex("8185 37fa213d 7f9f4d5158"), &SERVER);
    assert_eq!(r.count, 1);
    assert_eq!(r.out[..4], [129.0 + 256.0, 6.0, 5.0, f64::from(0x37fa213du32)]);
    assert_eq!(&r.buf[6..], b"Hello");
    // §5.7: fragmented "Hel" + "lo", with a ping in between.
    let r = run(&hex("010348656c 8900 80026c6f"), &UNLIMITED);
    assert_eq!(r.count, 3);
    assert_eq!(r.out[..12], [1.0, 2.0, 3.0, 0.0, 137.0, 7.0, 0.0, 0.0, 128.0, 9.0, 2.0, 0.0]);
    assert_eq!(r.state, [11.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn need_more_at_every_prefix_without_consuming() {
    let frames = [
        hex("8185 37fa213d 7f9f4d5158"),
        hex("82fe0080 01020304").into_iter().chain([0u8; 128]).collect::<Vec<_>>(),
        hex("82ff0000000000010000 01020304").into_iter().chain(vec![0u8; 65536]).collect(),
    ];
    for f in frames {
        let hlen = header_len(f[1]);
        for cut in 0..hlen {
            let r = run(&f[..cut], &SERVER);
            assert_eq!(r.count, 0);
            let need = if cut == 0 {
                0.0
            } else if cut < 2 {
                2.0
            } else {
                hlen as f64
            };
            assert_eq!(r.state, [0.0, need, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "cut {cut}");
        }
        // Header complete, payload not: pending, message state updated, payload untouched.
        let plen = f.len() - hlen;
        for cut in hlen..f.len() {
            let r = run(&f[..cut], &SERVER);
            assert_eq!(r.count, 0);
            assert_eq!(r.state[..4], [hlen as f64, (f.len() - cut) as f64, 1.0, 0.0]);
            let key = u32::from_be_bytes(f[hlen - 4..hlen].try_into().unwrap());
            assert_eq!(
                r.out[..4],
                [f64::from(f[0]) + 256.0, hlen as f64, plen as f64, f64::from(key)]
            );
            assert_eq!(r.buf[..], f[..cut]);
            // FIN never resets the message state of a pending frame.
            assert_eq!(r.state[4..], [f64::from(f[0] & 0x0f), plen as f64, 0.0, 1.0]);
        }
    }
}

fn error_of(buf: &str, limits: &ParseLimits, state: [f64; STATE_SLOTS]) -> (f64, f64) {
    let r = run_with(&hex(buf), limits, state, 8);
    (r.state[S_ERROR], r.state[S_CONSUMED])
}

#[test]
fn every_check_in_contract_order() {
    let e = |x: ProtocolError| f64::from(x as u8);
    let none = [0.0; STATE_SLOTS];
    let in_text = [0.0, 0.0, 0.0, 0.0, 1.0, 10.0, 0.0, 1.0];
    let small = ParseLimits {
        max_frame_size: 125.0,
        max_message_size: 200.0,
        max_fragments: 2.0,
        ..SERVER
    };
    let cases: Vec<(&str, &ParseLimits, [f64; STATE_SLOTS], f64)> = vec![
        // 1 before 2..: reserved bits win over everything.
        ("f380", &SERVER, none, e(ReservedBitsSet)),
        ("c180", &SERVER, none, e(ReservedBitsSet)),
        ("c080", &ParseLimits { flags: 3, ..SERVER }, in_text, e(ReservedBitsSet)),
        ("8380", &SERVER, none, e(ReservedOpcode)),
        ("0800", &SERVER, none, e(FragmentedControlFrame)),
        ("88fe", &SERVER, none, e(ControlFrameTooBig)),
        ("8800", &SERVER, none, e(UnmaskedClientFrame)),
        ("8880", &UNLIMITED, none, e(MaskedServerFrame)),
        // 5 before 6.
        ("0000", &SERVER, none, e(UnmaskedClientFrame)),
        ("0080", &SERVER, none, e(UnexpectedContinuation)),
        ("8180", &SERVER, in_text, e(ExpectedContinuation)),
        ("c180", &ParseLimits { flags: 3, ..SERVER }, in_text, e(ExpectedContinuation)),
        // 6 before 7: only 2 bytes needed.
        ("00ff", &SERVER, none, e(UnexpectedContinuation)),
        ("82ff 8000000000000000", &SERVER, none, e(InvalidLength)),
        ("82ff 0020000000000000", &SERVER, none, e(UnsupportedLength)),
        ("82ff 001fffffffffffff", &SERVER, none, 0.0),
        // 7 before 8, and 8 before the mask key is present.
        ("82ff 8000000000000000", &small, none, e(InvalidLength)),
        ("82fe 007e", &small, none, e(FrameTooBig)),
        ("89fd", &ParseLimits { max_frame_size: 124.0, ..SERVER }, none, e(FrameTooBig)),
        ("827d", &small, none, e(UnmaskedClientFrame)),
        // 9: message bytes counted from the headers; 10: fragments.
        ("00fd", &small, [0.0, 0.0, 0.0, 0.0, 2.0, 76.0, 0.0, 1.0], e(MessageTooBig)),
        ("00fd", &small, [0.0, 0.0, 0.0, 0.0, 2.0, 75.0, 0.0, 1.0], 0.0),
        ("00fd", &small, [0.0, 0.0, 0.0, 0.0, 2.0, 76.0, 0.0, 2.0], e(MessageTooBig)),
        ("0080", &small, [0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 2.0], e(TooManyFragments)),
        ("0080", &small, [0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0], 0.0),
        // Control frames don't count towards the message.
        ("8980", &small, [0.0, 0.0, 0.0, 0.0, 2.0, 200.0, 0.0, 2.0], 0.0),
    ];
    for (buf, limits, state, want) in cases {
        let (err, consumed) = error_of(buf, limits, state);
        assert_eq!(err, want, "{buf}");
        if want != 0.0 {
            assert_eq!(consumed, 0.0, "{buf}");
        }
    }
}

#[test]
fn frames_before_an_error_are_delivered_and_state_is_kept() {
    // A text frame, a fragment start, then a bad frame: 2 frames delivered, state after frame 2.
    let r = run(&hex("8101 41 0102 4142 8302"), &UNLIMITED);
    assert_eq!(r.count, 2);
    assert_eq!(r.state, [7.0, 0.0, 0.0, f64::from(ReservedOpcode as u8), 1.0, 2.0, 0.0, 1.0]);
    // Invalid UTF-8 in the second frame: consumed at its start, message state from before it.
    let r = run(&hex("01 02 ce ba 00 01 ff"), &UNLIMITED);
    assert_eq!(r.count, 1);
    assert_eq!(r.state, [4.0, 0.0, 0.0, 12.0, 1.0, 2.0, 0.0, 1.0]);
    // UTF-8 split across fragments is carried in S_UTF8.
    let r = run(&hex("01 01 ce"), &UNLIMITED);
    assert_eq!(r.state[4..], [1.0, 1.0, f64::from(0x01ce_0000u32), 1.0]);
    let r = run_with(&hex("80 01 ba"), &UNLIMITED, r.state, 4);
    assert_eq!((r.count, r.state), (1, [3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]));
    // Fail fast: an impossible byte in a non-final fragment.
    let r = run(&hex("01 02 41 c0"), &UNLIMITED);
    assert_eq!(r.state[S_ERROR], 12.0);
    // Incomplete code point at FIN.
    let r = run(&hex("81 01 ce"), &UNLIMITED);
    assert_eq!(r.state[S_ERROR], 12.0);
}

#[test]
fn rsv1_messages_are_not_utf8_validated() {
    let allow = ParseLimits { flags: PARSE_ALLOW_RSV1, ..UNLIMITED };
    let r = run(&hex("41 01 ff 00 01 fe 80 01 c0"), &allow);
    assert_eq!(r.count, 3);
    assert_eq!(r.state[3..], [0.0; 5]);
    let r = run(&hex("42 01 ff"), &allow);
    assert_eq!(r.state[4..], [f64::from(0x42u8), 1.0, 0.0, 1.0]);
    assert_eq!(run(&hex("c1 01 ff"), &UNLIMITED).state[S_ERROR], 1.0);
}

#[test]
fn defer_text_leaves_every_uncompressed_text_frame_unvalidated() {
    let defer = ParseLimits { flags: PARSE_DEFER_TEXT, ..UNLIMITED };
    // A whole invalid text message in one frame: delivered, marked, parsing goes on to the next frame.
    let r = run(&hex("8102 61ff 8201 00"), &defer);
    assert_eq!((r.count, r.state[S_ERROR]), (2, 0.0));
    assert_eq!(r.out[D_BITS], f64::from(0x81 | D_TEXT_UNCHECKED));
    assert_eq!(r.out[FRAME_STRIDE + D_BITS], f64::from(0x82u16));
    // Without the flag the same bytes stop at the text frame.
    let r = run(&hex("8102 61ff 8201 00"), &UNLIMITED);
    assert_eq!((r.count, r.state[S_ERROR]), (0, f64::from(InvalidUtf8 as u8)));
    // Fragments too (the caller appends them to the message, validating each byte once), and S_UTF8 stays 0 even
    // with a code point cut between two fragments.
    let r = run(&hex("0102 61ff 8001 62"), &defer);
    assert_eq!((r.count, r.state[S_ERROR]), (2, 0.0));
    let unchecked = |b: u16| f64::from(b | D_TEXT_UNCHECKED);
    assert_eq!((r.out[D_BITS], r.out[FRAME_STRIDE + D_BITS]), (unchecked(0x01), unchecked(0x80)));
    let r = run(&hex("0101 ce"), &defer);
    assert_eq!((r.count, r.state[S_UTF8], r.state[S_MESSAGE_OPCODE]), (1, 0.0, 1.0));
    let r = run(&hex("0101 ce"), &UNLIMITED);
    assert_eq!((r.count, r.state[S_UTF8]), (1, f64::from(0x01ce_0000u32)));
    // Without the flag the first invalid fragment stops the parse (fail-fast).
    let r = run(&hex("0102 61ff 8001 62"), &UNLIMITED);
    assert_eq!((r.count, r.state[S_ERROR]), (0, f64::from(InvalidUtf8 as u8)));
    // A pending text frame is never marked (its bytes are validated as they arrive).
    let r = run(&hex("8105 6162"), &defer);
    assert_eq!((r.count, r.state[S_PENDING], r.out[D_BITS]), (0, 1.0, 129.0));
    // Compressed text (RSV1) is validated after inflating, not marked either.
    let r = run(
        &hex("c102 61ff"),
        &ParseLimits { flags: PARSE_DEFER_TEXT | PARSE_ALLOW_RSV1, ..UNLIMITED },
    );
    assert_eq!((r.count, r.out[D_BITS]), (1, f64::from(0xc1u16)));
}

#[test]
fn close_payloads() {
    let err = |h: &str| run(&hex(h), &UNLIMITED).state[S_ERROR];
    assert_eq!(err("8800"), 0.0);
    assert_eq!(err("8801 03"), f64::from(InvalidClosePayload as u8));
    assert_eq!(err("8802 03ed"), f64::from(InvalidCloseCode as u8));
    assert_eq!(err("8802 03e8"), 0.0);
    assert_eq!(err("8803 03e8ff"), f64::from(InvalidUtf8 as u8));
    assert_eq!(err("8804 0bb8ceba"), 0.0);
    // Masked close: validated after unmasking.
    let mut f = hex("8882 01020304");
    f.extend([0x03 ^ 1, 0xe8 ^ 2]);
    assert_eq!(run(&f, &SERVER).state[S_ERROR], 0.0);
}

#[test]
fn stops_when_out_is_full() {
    let two = hex("8100 8100 8101");
    let r = run_with(&two, &UNLIMITED, [0.0; STATE_SLOTS], 1);
    assert_eq!(r.count, 1);
    assert_eq!(r.state[..4], [2.0, 2.0, 0.0, 0.0]);
    let r = run_with(&two, &UNLIMITED, [0.0; STATE_SLOTS], 2);
    assert_eq!(r.count, 2);
    assert_eq!(r.state[..4], [4.0, 2.0, 0.0, 0.0]);
    let r = run_with(&two, &UNLIMITED, [0.0; STATE_SLOTS], 0);
    assert_eq!(r.count, 0);
    assert_eq!(r.state[..4], [0.0, 2.0, 0.0, 0.0]);
    // An out array of 7 slots has room for one descriptor.
    let r = run_with(&two, &UNLIMITED, [0.0; STATE_SLOTS], 0);
    assert_eq!(r.count, 0);
    let mut buf = two.clone();
    let mut st = [0.0; STATE_SLOTS];
    let mut out = [0.0; 7];
    assert_eq!(parse_frames(&mut buf, 0, 6, &UNLIMITED, &mut st, &mut out), 1);
}

#[test]
fn start_and_end_are_absolute() {
    let mut buf = hex("ffff 8101 41 ffff");
    let mut st = [0.0; STATE_SLOTS];
    let mut out = [0.0; 8];
    assert_eq!(parse_frames(&mut buf, 2, 5, &UNLIMITED, &mut st, &mut out), 1);
    assert_eq!(out[..4], [129.0, 4.0, 1.0, 0.0]);
    assert_eq!(st[..4], [5.0, 0.0, 0.0, 0.0]);
}

/// A caller that follows the contract: re-feeds unconsumed bytes, streams pending payloads
/// through unmask/utf8_stream, and reassembles messages. Splitting the input anywhere must give
/// the same messages as parsing it whole.
fn reassemble(
    stream: &[u8],
    cuts: &[usize],
    limits: &ParseLimits,
) -> Result<Vec<(u8, Vec<u8>)>, f64> {
    let mut msgs = Vec::new();
    let mut state = [0.0; STATE_SLOTS];
    let mut out = [0.0; 4 * 3];
    let mut buf: Vec<u8> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut pending: Option<([f64; 4], u64)> = None; // descriptor, payload bytes done
    let mut fed = 0;
    let mut points = cuts.to_vec();
    points.push(stream.len());
    for &p in &points {
        buf.extend_from_slice(&stream[fed..p]);
        fed = p;
        loop {
            if let Some((d, done)) = pending.as_mut() {
                let total = d[2] as u64;
                let take = ((total - *done) as usize).min(buf.len());
                let mut chunk: Vec<u8> = buf.drain(..take).collect();
                let key = (d[3] as u32).to_be_bytes();
                let phase = (*done % 4) as usize;
                let rot =
                    [key[phase], key[(phase + 1) % 4], key[(phase + 2) % 4], key[(phase + 3) % 4]];
                unmask(&mut chunk, rot);
                *done += take as u64;
                let bits = d[0] as u32;
                let fin = bits & 0x80 != 0 && *done == total;
                if bits & 0x08 == 0 && state[S_MESSAGE_OPCODE] == 1.0 {
                    match utf8_stream(state[S_UTF8] as u32, &chunk, fin) {
                        Ok(s) => state[S_UTF8] = f64::from(s),
                        Err(()) => return Err(12.0),
                    }
                }
                current.extend_from_slice(&chunk);
                if *done < total {
                    break;
                }
                if bits & 0x08 != 0 {
                    msgs.push(((bits & 0x0f) as u8, std::mem::take(&mut current)));
                } else if bits & 0x80 != 0 {
                    msgs.push((state[S_MESSAGE_OPCODE] as u8, std::mem::take(&mut current)));
                    state[4..].fill(0.0);
                }
                pending = None;
                continue;
            }
            let end = buf.len();
            let opcode_before = state[S_MESSAGE_OPCODE];
            let n = parse_frames(&mut buf, 0, end, limits, &mut state, &mut out);
            let mut op = opcode_before;
            for d in out[..n * 4].chunks(4) {
                let bits = d[0] as u32;
                let payload = buf[d[1] as usize..(d[1] + d[2]) as usize].to_vec();
                if bits & 0x08 != 0 {
                    msgs.push(((bits & 0x0f) as u8, payload));
                    continue;
                }
                if bits & 0x0f != 0 {
                    op = f64::from(bits & 0x0f);
                }
                current.extend_from_slice(&payload);
                if bits & 0x80 != 0 {
                    msgs.push((op as u8, std::mem::take(&mut current)));
                    op = 0.0;
                }
            }
            if state[S_ERROR] != 0.0 {
                return Err(state[S_ERROR]);
            }
            let consumed = state[S_CONSUMED] as usize;
            if state[S_PENDING] == 1.0 {
                let d: [f64; 4] = out[n * 4..n * 4 + 4].try_into().unwrap();
                if d[0] as u32 & 0x08 != 0 {
                    current.clear(); // control payload collected separately
                }
                pending = Some((d, 0));
                buf.drain(..consumed);
                continue;
            }
            buf.drain(..consumed);
            if n == 3 {
                continue; // out was full
            }
            break;
        }
    }
    Ok(msgs)
}

#[test]
fn any_split_gives_the_same_messages() {
    let mut rng = XorShift::new(99);
    for round in 0..60 {
        let mut stream = Vec::new();
        let mut want = Vec::new();
        for _ in 0..(1 + rng.next() % 5) {
            let text = rng.next() & 1 == 0;
            let len = (rng.next() % 300) as usize;
            let payload: Vec<u8> = if text {
                "aé€😀".repeat(len / 10 + 1).into_bytes()
            } else {
                let mut p = vec![0u8; len];
                rng.fill(&mut p);
                p
            };
            let threshold = rng.next() % 100;
            let mut keys = vec![0u8; 4 * 400];
            rng.fill(&mut keys);
            let total =
                crate::fragment::encoded_length(payload.len() as u64, threshold, true) as usize;
            let mut out = vec![0u8; total];
            let op = if text { 1 } else { 2 };
            encode_message(&payload, op, false, threshold, Some(&keys), &mut out).unwrap();
            stream.extend_from_slice(&out);
            want.push((op, payload));
            if rng.next().is_multiple_of(3) {
                stream.extend(hex("8982 01020304 4146"));
                want.push((9, b"@D".to_vec()));
            }
        }
        let whole = reassemble(&stream, &[], &SERVER).unwrap();
        assert_eq!(whole, want, "round {round}");
        for _ in 0..20 {
            let mut cuts: Vec<usize> =
                (0..(rng.next() % 6)).map(|_| (rng.next() as usize) % (stream.len() + 1)).collect();
            cuts.sort();
            assert_eq!(reassemble(&stream, &cuts, &SERVER).unwrap(), want, "cuts {cuts:?}");
        }
    }
    // Every single split point of a small stream: a text message split inside a code point,
    // with a masked ping between its fragments.
    let text = "κ😀".as_bytes();
    let mut stream = vec![0u8; 64];
    let n = encode_message(&text[..3], 1, false, 2, Some(&[1, 2, 3, 4, 5, 6, 7, 8]), &mut stream)
        .unwrap();
    stream.truncate(n);
    stream[n - 7] &= 0x7f; // clear FIN on the last of these two frames
    stream.extend(hex("8980 01020304"));
    let mut tail = vec![0u8; 16];
    let m = encode_message(&text[3..], 0, false, 0, Some(&[9, 9, 9, 9]), &mut tail).unwrap();
    stream.extend_from_slice(&tail[..m]);
    let want = vec![(9, vec![]), (1, text.to_vec())];
    assert_eq!(reassemble(&stream, &[], &SERVER), Ok(want.clone()));
    for cut in 0..=stream.len() {
        assert_eq!(reassemble(&stream, &[cut], &SERVER), Ok(want.clone()), "cut {cut}");
        for cut2 in cut..=stream.len() {
            assert_eq!(
                reassemble(&stream, &[cut, cut2], &SERVER),
                Ok(want.clone()),
                "{cut} {cut2}"
            );
        }
    }
    // Invalid UTF-8 is caught whether the bad byte arrives in a complete or a pending frame.
    let mut bad = vec![0u8; 16];
    let k = encode_message(&[0xce, 0xff], 1, false, 0, Some(&[1, 2, 3, 4]), &mut bad).unwrap();
    for cut in 0..=k {
        assert_eq!(reassemble(&bad[..k], &[cut], &SERVER), Err(12.0), "cut {cut}");
    }
}

/// Hostile input: random (header-biased) bytes, limits, states and `out` sizes never panic, never
/// report more frames than fit, and every descriptor and state slot stays inside `buf`.
#[test]
fn random_input_keeps_every_invariant() {
    const PICK: [u8; 20] = [
        0x00, 0x01, 0x02, 0x08, 0x09, 0x0a, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8a, 0xc1, 0x7e, 0x7f,
        0xfe, 0xff, 0x7d, 0xce, 0x03,
    ];
    let mut rng = XorShift::new(4242);
    for _ in 0..200_000 {
        let len = (rng.next() % 48) as usize;
        let mut buf: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(3) {
                    r as u8
                } else {
                    PICK[(r >> 8) as usize % PICK.len()]
                }
            })
            .collect();
        let limits = ParseLimits {
            flags: (rng.next() % 4) as u32,
            max_frame_size: if rng.next() & 1 == 0 {
                f64::INFINITY
            } else {
                (rng.next() % 130) as f64
            },
            max_message_size: if rng.next() & 1 == 0 {
                f64::INFINITY
            } else {
                (rng.next() % 200) as f64
            },
            max_fragments: (rng.next() % 4) as f64,
        };
        let mut state = [0.0; STATE_SLOTS];
        if rng.next() & 1 == 0 {
            state[S_MESSAGE_OPCODE] = [1.0, 2.0, 65.0][(rng.next() % 3) as usize];
            state[S_MESSAGE_BYTES] = (rng.next() % 64) as f64;
            state[S_FRAGMENTS] = (1 + rng.next() % 3) as f64;
            state[S_UTF8] = [0.0, f64::from(0x01ce_0000u32), -1.0, 0.5][(rng.next() % 4) as usize];
        }
        let start = if len == 0 { 0 } else { (rng.next() as usize) % (len + 1) };
        let mut out = vec![0.0; (rng.next() % 20) as usize];
        let n = parse_frames(&mut buf, start, len, &limits, &mut state, &mut out);
        assert!(n <= out.len() / FRAME_STRIDE);
        let consumed = state[S_CONSUMED];
        assert!(consumed >= start as f64 && consumed <= len as f64);
        let mut prev_end = start as f64;
        for d in out[..n * FRAME_STRIDE].chunks(FRAME_STRIDE) {
            assert!(d[D_PAYLOAD_OFFSET] >= prev_end + 2.0);
            prev_end = d[D_PAYLOAD_OFFSET] + d[D_PAYLOAD_LENGTH];
            assert!(prev_end <= consumed);
        }
        if state[S_PENDING] == 1.0 {
            let d = &out[n * FRAME_STRIDE..(n + 1) * FRAME_STRIDE];
            assert_eq!(d[D_PAYLOAD_OFFSET], consumed);
            assert_eq!(d[D_PAYLOAD_OFFSET] + d[D_PAYLOAD_LENGTH], len as f64 + state[S_NEED]);
        } else if state[S_ERROR] == 0.0 && consumed < len as f64 {
            assert!((2.0..=14.0).contains(&state[S_NEED]));
        } else {
            assert_eq!(state[S_NEED], 0.0);
        }
    }
}
