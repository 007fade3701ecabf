// Package auth holds earshot's credentials primitives: password hashing
// (argon2id, with bcrypt hashes accepted for verification), random tokens
// for sessions and CSRF, and a failure rate limiter shared by the web login
// and the SIP registrar. It knows nothing of users, sessions or HTTP.
package auth
