package handlers

import (
	"time"
)

// loginLimiter slows password guessing: after 5 failed logins from one
// address within 15 minutes, further attempts are refused until the
// window passes; a successful login forgets the address.
type loginLimiter struct{ *rateLimiter }

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{newRateLimiter(5, 15*time.Minute)}
}

// allowed reports whether ip may try to log in at now.
func (l *loginLimiter) allowed(ip string, now time.Time) bool { return l.wait(ip, now) == 0 }

// fail records a failed attempt.
func (l *loginLimiter) fail(ip string, now time.Time) { l.add(ip, now) }

// reset forgets an IP after a successful login.
func (l *loginLimiter) reset(ip string) { l.forget(ip) }
