// Package media is earshot's media plane: it moves G.711 audio between legs
// (one party's RTP stream each) and decides, frame by frame, what each leg
// hears. It knows legs, rooms and a hearing matrix of who hears whom, and
// none of the rules of the calls it carries.
//
// # Moving packets
//
// Each RTP leg has a UDP socket of its own: peers and NATs expect the port
// they send to to be the port that answers, and symmetric RTP needs to see
// where a leg's packets really come from. The sockets are raw and
// non-blocking, owned by a small fixed set of worker goroutines (at most one
// per CPU, and only as many as the load needs: a worker takes 500 legs
// before the next one starts), never a goroutine per leg. A worker sleeps
// until the next 10 ms tick of a timerfd, blocked in epoll_wait on its own
// thread (a Go timer costs the runtime's scheduler a netpoll wake-up and a
// thread hand-over at every tick, which at light load was half the media
// plane's CPU; Go timers remain the fallback), asks its epoll set which sockets have data
// (without waiting), reads one datagram from each of them and sends what
// that produced, each batch in one io_uring submission; at every 20 ms
// boundary it also produces the mixed, played and silent frames. Nothing on
// this path allocates. Once a peer has sent from the address the leg sends
// to, the socket is connected to it, which spares the kernel a route
// lookup on each send and drops strangers' packets for us.
//
// The trade, measured on a shared 2-core VM: there a timer wake-up costs
// 80–200 µs of CPU and a bare system call about 1 µs, while moving a packet
// through loopback costs a few µs. Waking per packet (a goroutine per
// socket, or a reader woken by each datagram, as rtpengine does) pays a
// wake-up for almost every packet; waking on a fixed tick pays a hundred
// wake-ups a second per worker however many calls there are. Making each
// tick's reads and sends one io_uring submission instead of a system call
// per packet takes about 40% off the kernel's cost of a relayed packet.
// The price is latency: a forwarded packet waits for the next tick, 0–10 ms
// (about 5 ms at the median, 10 ms at p99), inside the 15 ms p99 budget; a
// 20 ms tick would halve the wake-ups but break that budget. Where io_uring
// is missing or forbidden (old kernels, container seccomp profiles), a
// worker makes one recvfrom and one sendto per packet instead, which costs
// about half as much again.
//
// Measured with the loadgen package (N two-party calls, 50 packets a second
// each way, the engine in a process of its own, rtpengine 10.5 forwarding in
// userspace under the same load in the same run; BenchmarkCalls and
// BenchmarkRTPEngineCalls), server CPU per call-second was 716 µs at 100
// calls, 709 at 300 and 658 at 600, against rtpengine's 1,767, 1,711 and
// 1,706: 39–41% of rtpengine's CPU (with Go timers it was 890–960 µs at
// 100 calls, about 0.55), with forwarded packets 5 ms late at the median
// and 10 ms at p99. One call alone costs 10 ms of CPU a second (20 with Go
// timers).
//
// # What a leg hears
//
// A Room holds legs and a Hearing matrix (listener → the legs it hears).
// Every 20 ms each member gets the mix of the legs it may hear, never
// itself. A listener that hears exactly one leg has that leg's packets
// forwarded as they arrive, with SSRC, sequence number and timestamp
// rewritten into the listener's own continuous stream (and the payload
// transcoded by table if the two legs use different laws). A listener that
// hears two or more gets a mix: each source goes through an adaptive jitter
// buffer with loss concealment, the frames are summed at half gain,
// saturated and encoded. A listener that hears none gets its Source (tone,
// music, announcement) if it has one, else comfort silence, so its stream
// never stops. Changes to the matrix take effect at the next frame boundary,
// and a listener's stream goes on by one sequence number and one frame of
// timestamp across every switch.
//
// Recordings tap the decoded audio that each frame gives a leg, so a
// recording of a leg contains exactly what it said and what it heard.
//
// # SRTP
//
// A leg keyed with SetSRTP (SDES keys from the SIP edge) speaks SRTP
// (AES_CM_128_HMAC_SHA1_80 or _32, pion/srtp): a received packet is
// authenticated and decrypted in place before anything reads it, so
// latching, DTMF, mixing and recording see only authentic plain RTP, and a
// forged or replayed packet is dropped and counted; a packet for the leg
// is encrypted in its send slot as it is queued. Neither allocates; the
// cost is about 0.6 µs a packet each way (BenchmarkSRTPLegForward).
//
// # Concurrency
//
// Every leg and room belongs to one worker (a room's legs move to the room's
// worker when added). The engine's RWMutex orders everything: workers hold
// it for reading during a tick, each touching only what it owns; control
// calls hold it for writing and so run between ticks. DTMF callbacks run on
// a separate goroutine, so they may call back into the engine.
package media
