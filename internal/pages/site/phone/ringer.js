// The ring: a soft two-note chime, generated with WebAudio (no sound file),
// every 2.4 s while a call rings.

export class Ringer {
  /** context() returns the page's AudioContext. */
  constructor(context) {
    this.context = context;
    this.timer = 0;
  }

  get ringing() {
    return this.timer !== 0;
  }

  start() {
    if (this.timer) return;
    const ctx = this.context();
    ctx.resume().catch(() => {});
    const ring = () => {
      const t = ctx.currentTime + 0.02;
      chime(ctx, 880, t, 0.5);
      chime(ctx, 660, t + 0.42, 0.7);
    };
    ring();
    this.timer = setInterval(ring, 2400);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
  }
}

// chime plays one soft bell-like note: a sine with a fast attack and an
// exponential decay, with a quiet octave above.
function chime(ctx, freq, at, length) {
  const gain = ctx.createGain();
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.22, at + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
  gain.connect(ctx.destination);
  for (const [f, level] of [[freq, 1], [freq * 2, 0.18]]) {
    const osc = ctx.createOscillator();
    const g = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = f;
    g.gain.value = level;
    osc.connect(g).connect(gain);
    osc.start(at);
    osc.stop(at + length + 0.05);
  }
}
