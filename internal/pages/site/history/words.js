// Words for call history: outcomes, times and durations, and one sentence
// per stored event.

import {sentence} from '/shared/words.js';
import {clock} from '/shared/api.js';

export const OUTCOME = {
  live: 'In progress',
  answered: 'Answered',
  abandoned_queued: 'Abandoned in queue',
  abandoned_ringing: 'Abandoned while ringing',
  max_wait: 'Ended at maximum wait',
  failed: 'Failed',
  interrupted: 'Interrupted',
};

export const MODE = {ringing: 'Ringing', listen: 'Listen', talk: 'Talk (whisper)', takeover: 'Take over'};

/** Formats seconds as m:ss (h:mm:ss from an hour). */
export function seconds(s) {
  return clock(Math.round(s * 1000));
}

const dayFmt = new Intl.DateTimeFormat(undefined, {day: 'numeric', month: 'short'});
const timeFmt = new Intl.DateTimeFormat(undefined, {hour: '2-digit', minute: '2-digit', second: '2-digit'});
const fullFmt = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'medium'});

/** A time for a table row: the time today, else the day and the time. */
export function when(iso) {
  const d = new Date(iso);
  const today = new Date();
  const t = timeFmt.format(d);
  return d.toDateString() === today.toDateString() ? t : `${dayFmt.format(d)}, ${t}`;
}

/** A time in full, for titles and details. */
export function full(iso) {
  return fullFmt.format(new Date(iso));
}

/** The clock time only. */
export function time(iso) {
  return timeFmt.format(new Date(iso));
}

/** Lower-cased API sentences read as page sentences. */
export {sentence};

/** One sentence for a stored event of a call; name(user) gives a display name. */
export function eventText(e, name) {
  const who = name(e.agent);
  const actor = name(e.actor);
  switch (e.kind) {
    case 'call.arrived':
      return `Arrived in ${e.queue} from ${e.caller || 'an unknown number'}${e.did ? ` (dialled ${e.did})` : ''}`;
    case 'call.queued':
      if (e.reason === 'overflow') return `Overflowed to ${e.queue}`;
      if (e.reason === 'arrived') return `Waiting in ${e.queue}`;
      return `Back in ${e.queue} (${e.reason})`;
    case 'call.offered':
      return `Rang ${who}`;
    case 'call.unoffered':
      return `${who} stopped ringing (${e.reason})`;
    case 'call.answered':
      return e.reason === 'take_over' ? `${who} took the call over` : `${who} answered`;
    case 'call.handler_ended':
      return `${who} left the call (${(e.reason || '').replace(/_/g, ' ')})`;
    case 'call.recording':
      return 'Recording started';
    case 'call.ended':
      return `Call ended: ${e.reason}${e.actor ? `, by ${e.actor === 'customer' ? 'the customer' : actor}` : ''}`;
    case 'assist.mode':
    case 'listen.session': {
      const what = e.kind === 'assist.mode' ? 'assist' : 'listen-in';
      switch (e.state) {
        case 'ringing': return `${actor} started an ${what} on ${who}: ringing`;
        case 'listen': return `${actor} is listening`;
        case 'talk': return `${actor} talks to ${who} (the customer does not hear)`;
        case 'takeover': return `${actor} takes the call over`;
        case 'ended': return `${actor}'s ${what} ended: ${e.reason}`;
      }
      return `${actor}: ${e.state}`;
    }
  }
  return e.kind;
}
