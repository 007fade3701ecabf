// Package softphone is the server side of earshot's web softphone: the
// WebRTC peer connection each logged-in /phone page keeps to earshot, and
// the call signalling that travels over the page's WebSocket.
//
// A page opens one RTCPeerConnection right after login and keeps it while it
// is open, so answering a call needs no negotiation. The server side of that
// connection is one media leg: RTP from the browser is handed to the leg, and
// what the media plane sends the leg goes back to the browser. Only PCMU and
// PCMA (with RFC 4733 telephone-events) are offered, so audio is never
// transcoded here; DTLS-SRTP and ICE are pion's.
//
// Phones knows pages, legs and calls by their identifiers. It holds no
// contact-centre rules: the call flow asks it to Ring a user, gets the
// answering page's leg back and puts that leg in a media room; it learns of
// the agent's Hang up through OnHangup and tells the page a call is over with
// Ended.
//
// # Signalling
//
// Messages are JSON objects with a "type", on the page's one WebSocket.
//
//	page → server: rtc.offer {sdp}, rtc.restart {sdp}, rtc.candidate {candidate},
//	               call.answer {call}, call.reject {call}, call.hangup {call},
//	               phone.dtmf {digit}, phone.ring_on {where}
//	server → page: rtc.answer {sdp}, rtc.candidate {candidate},
//	               phone.ring_on {where},
//	               call.ringing {call, caller, queue, kind, agent, agent_display},
//	               call.connected {call, caller, queue, kind, agent, agent_display},
//	               call.ended {call, reason}, session.replaced {message},
//	               error {about, message}
//
// A message that is malformed or out of order gets an error back and
// changes nothing. One page per user is live: a newer page replaces an older
// one, which is told session.replaced. After a WebSocket drop the page
// reconnects and sends an ICE-restart offer (rtc.restart) on the same peer
// connection; until then, for a grace period, the connection and its leg
// stay up, so a call's audio goes on.
//
// # Where calls ring
//
// An agent chooses, per login, whether routed calls ring in the page
// ("browser", the default) or on their registered SIP phone ("phone"):
// phone.ring_on. While a page has chosen the phone, Online reports false
// and the call flow rings the SIP phone; the page stays signed in and can
// still be rung explicitly (Ring), as for an assist the user asked to hear
// in the web client. The choice lasts while the page's WebSocket is open;
// the page says it again when it reconnects.
package softphone
