// Package mailer sends the blog's e-mail over SMTP: notifications to
// authors and password-reset links. Mail is queued in the database
// (models.MailJob) and sent by Worker, so a slow or down SMTP server
// never blocks a request and loses nothing.
package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Config is the SMTP server and sender address.
type Config struct {
	// URL is smtp://user:pass@host:port (STARTTLS when the server offers
	// it; port 587 by default) or smtps://… (TLS from the first byte; port
	// 465 by default). User and password are optional.
	URL  string
	From string // "Blog <blog@example.com>" or a bare address
	// TLSConfig overrides the TLS settings (tests trust their own
	// certificate); nil verifies the server against the system roots.
	TLSConfig *tls.Config
	Timeout   time.Duration // per connection; default 30 s
}

// server is a parsed Config.URL.
type server struct {
	host, user, pass string
	port             int
	implicitTLS      bool
}

// parseURL checks an --smtp-url.
func parseURL(raw string) (server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return server{}, fmt.Errorf("smtp url: %w", err)
	}
	var s server
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return server{}, fmt.Errorf("smtp url: scheme must be smtp:// or smtps://, not %q", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return server{}, errors.New("smtp url: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return server{}, fmt.Errorf("smtp url: bad port %q", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	return s, nil
}

// Validate checks a configuration before the server starts.
func (c Config) Validate() error {
	if _, err := parseURL(c.URL); err != nil {
		return err
	}
	if c.From == "" {
		return errors.New("an SMTP server needs a sender address (--smtp-from)")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("smtp from %q: %w", c.From, err)
	}
	return nil
}

// Message is one e-mail.
type Message struct {
	To, Subject, Body string
}

// Sender sends messages through the configured server.
type Sender struct {
	cfg Config
	srv server
}

// NewSender checks cfg and returns a sender.
func NewSender(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	srv, _ := parseURL(cfg.URL)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Sender{cfg: cfg, srv: srv}, nil
}

// Send delivers one plain-text message.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("from %q: %w", s.cfg.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)

	opts := []gomail.Option{gomail.WithPort(s.srv.port), gomail.WithTimeout(s.cfg.Timeout)}
	tlsCfg := s.cfg.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: s.srv.host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, gomail.WithTLSConfig(tlsCfg))
	if s.srv.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		// STARTTLS whenever the server offers it.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.srv.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.srv.user), gomail.WithPassword(s.srv.pass))
	}
	c, err := gomail.NewClient(s.srv.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client for %s: %w", net.JoinHostPort(s.srv.host, strconv.Itoa(s.srv.port)), err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send to %s via %s: %w", m.To, net.JoinHostPort(s.srv.host, strconv.Itoa(s.srv.port)), err)
	}
	return nil
}

// oneLine keeps header text on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
