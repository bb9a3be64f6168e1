//! Fan-out load generator (issue 14): cheaper than the server it measures. Frames are built once, replies are
//! counted from their headers (payloads are skipped unread), one thread reads every socket in turn with blocking
//! reads and another writes the bursts (both pinned to one core by run.ts).
//!
//! `fanout-loadgen <port> <clients> <senders> <messages> <size> <rounds>`: connects `clients` WebSocket clients;
//! in each round the first `senders` of them write `messages` masked text frames of `size` bytes each in one
//! burst, and the round ends when every client has received `senders × messages` messages (the server relays
//! every message to every client, the sender included). Prints one JSON line per round:
//! `{"round":n,"delivered":d,"seconds":s,"msgPerSec":r,"p50Us":…,"p99Us":…}` (latency: from the start of the
//! burst to a message's arrival, sampled every 16th message of each client).
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    len: usize,
    /// Bytes of the current frame's payload still to skip (already counted).
    skip: u64,
    received: u64,
}

/// `ext`: the Sec-WebSocket-Extensions offer ("" for none); compressed frames are counted like any other.
fn handshake(port: u16, ext: &str) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).unwrap();
    // A server that stops sending fails the run instead of hanging it.
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let req = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("handshake response");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    s
}

/// `count` masked text frames of `size` ASCII bytes, built once and written as one burst each round.
fn frames(count: usize, size: usize) -> Vec<u8> {
    let payload = vec![b'x'; size];
    let mut out = Vec::with_capacity(count * (size + 8));
    for _ in 0..count {
        out.push(0x81);
        if size < 126 {
            out.push(0x80 | size as u8);
        } else {
            out.push(0x80 | 126);
            out.extend_from_slice(&(size as u16).to_be_bytes());
        }
        out.extend_from_slice(&KEY);
        out.extend(payload.iter().enumerate().map(|(j, b)| b ^ KEY[j & 3]));
    }
    out
}

impl Client {
    /// One blocking read (returns as soon as anything is there); counts complete frame headers. Returns the
    /// number of messages newly counted.
    fn read_some(&mut self, lat: &mut Vec<u64>, start: Instant) -> u64 {
        let before = self.received;
        if self.len == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.stream.read(&mut self.buf[self.len..]) {
                Ok(0) => panic!("server closed a connection"),
                Ok(n) => {
                    self.len += n;
                    break;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => panic!("read: {e}"),
            }
        }
        self.parse(lat, start);
        self.received - before
    }

    fn parse(&mut self, lat: &mut Vec<u64>, start: Instant) {
        let mut at = 0usize;
        let end = self.len;
        loop {
            if self.skip > 0 {
                let take = self.skip.min((end - at) as u64) as usize;
                at += take;
                self.skip -= take as u64;
                if self.skip > 0 {
                    break;
                }
            }
            if end - at < 2 {
                break;
            }
            let b1 = self.buf[at + 1] & 0x7f;
            let (hl, plen) = match b1 {
                126 if end - at >= 4 => {
                    (4, u16::from_be_bytes([self.buf[at + 2], self.buf[at + 3]]) as u64)
                }
                127 if end - at >= 10 => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&self.buf[at + 2..at + 10]);
                    (10, u64::from_be_bytes(b))
                }
                126 | 127 => break,
                n => (2, n as u64),
            };
            // The last frame of a data message (FIN, opcode 0–2); control frames are not messages.
            if self.buf[at] & 0x80 != 0 && self.buf[at] & 0x0f < 8 {
                self.received += 1;
                // Sample every 16th message: its arrival time (the sender's burst started at `start`).
                if self.received % 16 == 0 {
                    lat.push(start.elapsed().as_micros() as u64);
                }
            }
            at += hl;
            self.skip = plen;
        }
        self.buf.copy_within(at..end, 0);
        self.len = end - at;
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let arg = |i: usize| {
        a.get(i)
            .and_then(|s| s.parse::<usize>().ok())
            .expect("usage: port clients senders messages size rounds [nct|takeover]")
    };
    let (port, clients, senders, messages, size, rounds) =
        (arg(1) as u16, arg(2), arg(3), arg(4), arg(5), arg(6));
    // Offer permessage-deflate (the server compresses what it sends; the bursts we send stay uncompressed).
    let ext = match a.get(7).map(String::as_str) {
        Some("nct") => {
            "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
        }
        Some("takeover") => "Sec-WebSocket-Extensions: permessage-deflate\r\n",
        _ => "",
    };
    let mut cs: Vec<Client> = (0..clients)
        .map(|_| Client {
            stream: handshake(port, ext),
            buf: vec![0; 1 << 16],
            len: 0,
            skip: 0,
            received: 0,
        })
        .collect();
    let burst = std::sync::Arc::new(frames(messages, size));
    let expect = (senders * messages) as u64;
    for round in 0..rounds {
        for c in cs.iter_mut() {
            c.received = 0;
        }
        let mut lat = Vec::with_capacity((clients * senders * messages) / 16 + 16);
        let start = Instant::now();
        // The bursts are written by a thread of their own (blocking writes), so reading never waits for them.
        let writers: Vec<TcpStream> =
            cs[..senders].iter().map(|c| c.stream.try_clone().unwrap()).collect();
        let b = burst.clone();
        let writer = std::thread::spawn(move || {
            for mut w in writers {
                w.write_all(&b).expect("write burst");
            }
        });
        // Blocking reads in turn on every client still short of its count: the server writes to all of them each
        // turn, so a read returns at once with a turn's worth of frames, and no read finds nothing (no spinning).
        let mut total = 0u64;
        let want = expect * clients as u64;
        let deadline = start + Duration::from_secs(120);
        while total < want {
            for c in cs.iter_mut() {
                if c.received < expect {
                    total += c.read_some(&mut lat, start);
                }
            }
            assert!(Instant::now() < deadline, "round {round}: {total} of {want} after 120 s");
        }
        writer.join().unwrap();
        let secs = start.elapsed().as_secs_f64();
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        println!(
            "{{\"round\":{round},\"delivered\":{want},\"seconds\":{secs:.6},\"msgPerSec\":{:.0},\"p50Us\":{},\"p99Us\":{}}}",
            want as f64 / secs,
            pct(0.5),
            pct(0.99)
        );
        // Let the server settle between rounds.
        std::thread::sleep(Duration::from_millis(200));
    }
}
