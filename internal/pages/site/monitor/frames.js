// Frame timing, for the performance check: the longest gap between
// animation frames and the long tasks the browser reports while the page
// takes live updates.

// perf is what the watch has seen so far.
const perf = {on: false, last: 0, maxGap: 0, frames: 0, longTasks: 0, maxTask: 0, observer: null};

/** Starts watching frames and long tasks. */
export function perfStart() {
  Object.assign(perf, {on: true, last: 0, maxGap: 0, frames: 0, longTasks: 0, maxTask: 0});
  try {
    perf.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        perf.longTasks++;
        perf.maxTask = Math.max(perf.maxTask, e.duration);
      }
    });
    perf.observer.observe({type: 'longtask', buffered: false});
  } catch {
    perf.observer = null;
  }
  const frame = (t) => {
    if (!perf.on) return;
    if (perf.last) perf.maxGap = Math.max(perf.maxGap, t - perf.last);
    perf.last = t;
    perf.frames++;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

/** Stops watching; returns the longest frame gap and long tasks seen. */
export function perfStop() {
  perf.on = false;
  if (perf.observer) perf.observer.disconnect();
  return {maxFrameGapMs: perf.maxGap, frames: perf.frames, longTasks: perf.longTasks, maxLongTaskMs: perf.maxTask};
}
