// The page's one audio connection to earshot: an RTCPeerConnection set up
// right after login and kept while the page is open, so answering a call
// needs no negotiation. Signalling travels on the page's WebSocket.
//
// The microphone is sent only during a call: between calls the sender has
// no track, so nothing leaves the browser.

const G711 = ['audio/PCMU', 'audio/PCMA', 'audio/telephone-event'];

export class Softphone {
  /**
   * send(msg) → bool puts a message on the WebSocket; audio is the <audio>
   * element that plays earshot's audio; context() returns the page's
   * AudioContext; onChange() is called whenever the microphone or connection
   * status changes; iceServers are the STUN and TURN servers from /me.
   */
  constructor({send, audio, context, onChange, iceServers = []}) {
    this.send = send;
    this.iceServers = iceServers;
    this.audio = audio;
    this.context = context;
    this.onChange = onChange;
    this.pc = null;
    this.sender = null;
    this.mic = null; // the microphone's MediaStreamTrack
    this.micStatus = 'unknown'; // unknown | asking | ready | denied | missing | failed
    this.live = false; // a call is connected: the microphone is sent
    this.cleanup = true; // noise suppression and automatic gain
    this.muted = false;
    this.offered = false; // the current offer has been sent
    this.localQueue = []; // own candidates waiting for the offer to go out
    this.remoteQueue = []; // earshot's candidates waiting for its answer
    this.analyser = null;
  }

  /** The connection's state: new | connecting | connected | disconnected | failed | closed | off. */
  get status() {
    return this.pc ? this.pc.connectionState : 'off';
  }

  /** Asks for the microphone (once granted, it is kept). Resolves to true when it is ready. */
  async ensureMic() {
    if (this.mic && this.mic.readyState === 'live') return true;
    this.micStatus = 'asking';
    this.onChange();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({audio: {echoCancellation: true, noiseSuppression: this.cleanup, autoGainControl: this.cleanup}});
      this.mic = stream.getAudioTracks()[0];
      this.mic.enabled = !this.muted;
      this.mic.onended = () => {
        this.mic = null;
        this.micStatus = 'missing';
        this.onChange();
      };
      this.micStatus = 'ready';
      if (this.live && this.sender) await this.sender.replaceTrack(this.mic);
    } catch (err) {
      this.mic = null;
      const name = err && err.name;
      this.micStatus = name === 'NotAllowedError' || name === 'SecurityError' ? 'denied'
        : name === 'NotFoundError' || name === 'OverconstrainedError' ? 'missing' : 'failed';
    }
    this.onChange();
    return this.micStatus === 'ready';
  }

  /**
   * Turns noise suppression and automatic gain on or off. The microphone is
   * opened again with the new setting, and swapped in if a call is live.
   */
  async setCleanup(on) {
    if (on === this.cleanup) return this.micStatus === 'ready';
    this.cleanup = on;
    const old = this.mic;
    this.mic = null;
    const ok = await this.ensureMic();
    if (old) {
      old.onended = null;
      old.stop();
    }
    return ok;
  }

  /** Sets up the peer connection and sends earshot the offer. */
  async start() {
    this.close();
    const pc = new RTCPeerConnection({iceServers: this.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require'});
    this.pc = pc;
    this.offered = false;
    this.localQueue = [];
    this.remoteQueue = [];
    const tr = pc.addTransceiver('audio', {direction: 'sendrecv'});
    this.sender = tr.sender;
    preferG711(tr);
    if (this.live && this.mic) await this.sender.replaceTrack(this.mic);
    pc.onicecandidate = (e) => {
      if (pc !== this.pc || !e.candidate || !e.candidate.candidate) return;
      const c = e.candidate.toJSON();
      if (this.offered) this.send({type: 'rtc.candidate', candidate: c});
      else this.localQueue.push(c);
    };
    pc.ontrack = (e) => this.attachRemote(e.streams[0] || new MediaStream([e.track]));
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === 'failed') this.restart();
      this.onChange();
    };
    await this.offer('rtc.offer');
  }

  /** Restarts ICE on the same connection (after the WebSocket came back, or the network changed). */
  async restart() {
    if (!this.pc || this.pc.signalingState === 'closed') return this.start();
    if (this.pc.signalingState !== 'stable') return; // an offer is already out
    await this.offer('rtc.restart', {iceRestart: true});
  }

  async offer(type, options) {
    const pc = this.pc;
    this.offered = false;
    const offer = await pc.createOffer(options);
    await pc.setLocalDescription(offer);
    if (pc !== this.pc) return;
    if (!this.send({type, sdp: pc.localDescription.sdp})) return;
    this.offered = true;
    for (const c of this.localQueue.splice(0)) this.send({type: 'rtc.candidate', candidate: c});
    this.onChange();
  }

  /** Handles earshot's rtc.* messages and errors about them. */
  async onMessage(msg) {
    const pc = this.pc;
    if (!pc) return;
    switch (msg.type) {
      case 'rtc.answer':
        if (pc.signalingState !== 'have-local-offer') return;
        await pc.setRemoteDescription({type: 'answer', sdp: msg.sdp});
        for (const c of this.remoteQueue.splice(0)) await pc.addIceCandidate(c).catch(() => {});
        break;
      case 'rtc.candidate':
        if (!pc.remoteDescription || pc.signalingState !== 'stable') this.remoteQueue.push(msg.candidate);
        else await pc.addIceCandidate(msg.candidate).catch(() => {});
        break;
      case 'error':
        // earshot no longer knows this connection (it expired while the
        // page was away): start a new one.
        if (msg.about === 'rtc.restart') await this.start();
        break;
    }
  }

  /** Sends the microphone (a call is connected) or nothing (no call). */
  async setLive(on) {
    this.live = on;
    if (!on) this.setMuted(false);
    if (!this.sender) return;
    await this.sender.replaceTrack(on && this.mic ? this.mic : null);
  }

  /** Mutes or unmutes the local track. */
  setMuted(on) {
    this.muted = on;
    if (this.mic) this.mic.enabled = !on;
  }

  /** Plays earshot's audio and measures it. */
  attachRemote(stream) {
    this.audio.srcObject = stream;
    this.audio.play().catch(() => {});
    try {
      const ctx = this.context();
      ctx.resume().catch(() => {});
      const src = ctx.createMediaStreamSource(stream);
      this.analyser = ctx.createAnalyser();
      this.analyser.fftSize = 8192;
      this.analyser.smoothingTimeConstant = 0;
      src.connect(this.analyser);
    } catch {
      this.analyser = null;
    }
  }

  /**
   * The level, in dBFS of the tone's peak, of freqHz in earshot's audio:
   * the strongest analyser bin near it, corrected for the Blackman window
   * (coherent gain 0.42) and a real sine's halving (together −13.6 dB).
   */
  remoteLevel(freqHz) {
    const an = this.analyser;
    if (!an) return -Infinity;
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    const at = Math.round(freqHz * an.fftSize / an.context.sampleRate);
    let peak = -Infinity;
    for (let i = Math.max(0, at - 2); i <= Math.min(bins.length - 1, at + 2); i++) peak = Math.max(peak, bins[i]);
    return peak + 13.56;
  }

  /**
   * The power of the received audio in the speech band (300–3400 Hz), in
   * dB relative to a full-scale sine: near the level of a voice while
   * someone speaks, far below −60 dB in silence.
   */
  speechLevel() {
    const an = this.analyser;
    if (!an) return -200;
    const bins = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(bins);
    const hz = an.context.sampleRate / an.fftSize;
    let power = 0;
    for (let i = Math.ceil(300 / hz); i <= Math.min(bins.length - 1, Math.floor(3400 / hz)); i++) power += 10 ** (bins[i] / 10);
    // The Blackman window spreads a sine over about 1.73 bins of noise
    // bandwidth; the same correction as remoteLevel for the rest.
    return power > 0 ? Math.max(-200, 10 * Math.log10(power / 1.73) + 13.56) : -200;
  }

  /** Closes the connection (the microphone stays granted). */
  close() {
    if (this.pc) {
      this.pc.onconnectionstatechange = null;
      this.pc.close();
    }
    this.pc = null;
    this.sender = null;
  }

  /** Releases everything, microphone included. */
  stop() {
    this.close();
    if (this.mic) this.mic.stop();
    this.mic = null;
    this.micStatus = 'unknown';
    this.live = false;
  }
}

// preferG711 asks for PCMU first, then PCMA and DTMF events: earshot
// speaks G.711 only, so nothing needs transcoding.
function preferG711(tr) {
  if (!tr.setCodecPreferences || !RTCRtpReceiver.getCapabilities) return;
  const caps = RTCRtpReceiver.getCapabilities('audio');
  if (!caps) return;
  const codecs = G711.flatMap((mime) => caps.codecs.filter((c) => c.mimeType.toLowerCase() === mime.toLowerCase() && c.clockRate === 8000));
  if (codecs.length === 0) return;
  try {
    tr.setCodecPreferences(codecs);
  } catch {
    // an older browser: earshot's answer still picks G.711
  }
}
