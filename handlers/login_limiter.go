package handlers

import (
	"time"
)

// loginLimiter slows password guessing: after 5 failed logins from one
// address, or 10 for one account from anywhere, within 15 minutes, further
// attempts (even with the right password) are refused until the window
// passes. The account count stops guessing spread over many addresses; a
// successful login forgets the address and the account.
type loginLimiter struct {
	byIP, byAccount *rateLimiter
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{
		byIP:      newRateLimiter(5, 15*time.Minute),
		byAccount: newRateLimiter(10, 15*time.Minute),
	}
}

// wait reports how long a login from ip for username must wait; 0 means it
// may try now.
func (l *loginLimiter) wait(ip, username string, now time.Time) time.Duration {
	d := l.byIP.wait(ip, now)
	if username != "" {
		d = max(d, l.byAccount.wait(accountKey(username), now))
	}
	return d
}

// fail records a failed attempt.
func (l *loginLimiter) fail(ip, username string, now time.Time) {
	l.byIP.add(ip, now)
	if username != "" {
		l.byAccount.add(accountKey(username), now)
	}
}

// reset forgets an address and an account after a successful login.
func (l *loginLimiter) reset(ip, username string) {
	l.byIP.forget(ip)
	l.byAccount.forget(accountKey(username))
}

// accountKey keeps user names apart from addresses in limiterKey.
func accountKey(username string) string { return "account:" + username }
